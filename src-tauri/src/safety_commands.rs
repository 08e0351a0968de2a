//! Commands for the Permissions page: the policy in force and edits to it
//! (which keep permissions.yaml's comments), and pending approvals and
//! pairings with their answers.

use crate::error::CommandResult;
use crate::state::AppState;
use molten_engine::audit::AuditResult;
use molten_engine::rbac::policy::{APPROVAL_FLOOR, CATALOGUE};
use molten_engine::rbac::{Approval, Pairing};
use molten_engine::ChatEntry;
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::State;

#[derive(Serialize)]
pub struct PermissionsView {
    path: String,
    /// Why the file on disk is not in force, if it is not.
    problem: Option<String>,
    roles: BTreeMap<String, Vec<String>>,
    users: BTreeMap<String, String>,
    default_role: String,
    approval_required: Vec<String>,
    approval_floor: Vec<&'static str>,
    catalogue: Vec<&'static str>,
}

fn view(state: &AppState) -> CommandResult<PermissionsView> {
    let gate = state.engine()?.gate();
    let p = gate.policy();
    Ok(PermissionsView {
        path: gate.path().display().to_string(),
        problem: gate.problem(),
        roles: p.roles.clone(),
        users: p.users.clone(),
        default_role: p.default_role.clone(),
        approval_required: p.approval_required.clone(),
        approval_floor: APPROVAL_FLOOR.to_vec(),
        catalogue: CATALOGUE.to_vec(),
    })
}

#[tauri::command]
pub fn permissions_get(state: State<'_, AppState>) -> CommandResult<PermissionsView> {
    view(&state)
}

#[tauri::command]
pub async fn permissions_set_role(
    state: State<'_, AppState>,
    role: String,
    permissions: Vec<String>,
) -> CommandResult<PermissionsView> {
    let engine = state.engine()?;
    let edited = engine.gate().set_role_permissions(&role, &permissions);
    let args = permissions.join(", ");
    audit_edit(engine, "permissions:set_role", &role, &args, edited.is_ok()).await?;
    edited?;
    view(&state)
}

#[tauri::command]
pub async fn permissions_set_user(
    state: State<'_, AppState>,
    identity: String,
    role: Option<String>,
) -> CommandResult<PermissionsView> {
    let engine = state.engine()?;
    let edited = engine.gate().set_user_role(&identity, role.as_deref());
    let args = role.as_deref().unwrap_or("(removed)");
    audit_edit(
        engine,
        "permissions:set_user",
        &identity,
        args,
        edited.is_ok(),
    )
    .await?;
    edited?;
    view(&state)
}

/// Records an edit made in the app, before its result is shown.
async fn audit_edit(
    engine: &molten_engine::Engine,
    op: &str,
    target: &str,
    args: &str,
    ok: bool,
) -> CommandResult<()> {
    let result = if ok {
        AuditResult::Ok
    } else {
        AuditResult::Error
    };
    Ok(engine
        .record("local:owner", "app", op, target, args, result)
        .await?)
}

#[tauri::command]
pub async fn approvals_list(
    state: State<'_, AppState>,
    status: Option<String>,
) -> CommandResult<Vec<Approval>> {
    Ok(state
        .engine()?
        .approvals(status.as_deref().filter(|s| *s != "all"))
        .await?)
}

#[tauri::command]
pub async fn pairings_list(
    state: State<'_, AppState>,
    status: Option<String>,
) -> CommandResult<Vec<Pairing>> {
    Ok(state
        .engine()?
        .pairings(status.as_deref().filter(|s| *s != "all"))
        .await?)
}

/// Approves or denies an approval or pairing code, as the owner.
#[tauri::command]
pub async fn request_answer(
    state: State<'_, AppState>,
    code: String,
    approve: bool,
) -> CommandResult<ChatEntry> {
    Ok(state.engine()?.answer_request(&code, approve).await?)
}
