use serde::{Deserialize, Serialize};

string_enum!(
    /// What a provisioning run does to a tenant.
    Operation {
        Provision => "provision",
        Update => "update",
        Suspend => "suspend",
        Resume => "resume",
        Deprovision => "deprovision",
        Cleanup => "cleanup",
    }
);

string_enum!(
    RunState {
        Pending => "pending",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

string_enum!(
    StepState {
        Pending => "pending",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Skipped => "skipped",
        Cancelled => "cancelled",
    }
);

impl RunState {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            RunState::Completed | RunState::Failed | RunState::Cancelled
        )
    }
}

/// One step of a run, with its timing, attempts and the root cause of its
/// last failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDto {
    pub position: i64,
    pub name: String,
    pub state: StepState,
    pub attempts: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub last_error: Option<String>,
    pub log: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDto {
    pub id: i64,
    pub tenant_id: String,
    pub operation: Operation,
    pub state: RunState,
    pub requested_by: String,
    pub options: super::RunOptions,
    /// The run does not start (or go on) before this time.
    pub not_before: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub steps: Vec<StepDto>,
}
