//! Role-based access: the policy file, the gate every action passes, pairing
//! of unknown senders, and approvals that fail closed.

pub mod edit;
pub mod expiry;
pub mod gate;
pub mod policy;
pub mod records;

pub use gate::Gate;
pub use policy::{Decision, Policy};
pub use records::{Answer, Approval, NewApproval, Pairing};
