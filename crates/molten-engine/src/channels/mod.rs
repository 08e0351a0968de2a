//! Channel implementations. One file per platform.

pub mod dingtalk;
pub mod local;
pub mod registry;
pub mod wecom;
