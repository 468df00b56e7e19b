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
        Backup => "backup",
        Restore => "restore",
        Rotate => "rotate",
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
    /// Where a step stands. `RolledBack`: it completed, then a clean-up
    /// undid what it made; a retry runs it again.
    StepState {
        Pending => "pending",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Skipped => "skipped",
        Cancelled => "cancelled",
        RolledBack => "rolled_back",
    }
);

string_enum!(
    /// How one attempt of a step ended: `Warned` completed with a warning
    /// (the run goes on), `Retrying` failed transiently (another attempt
    /// follows), `Deferred` waits (a grace period), `Interrupted` lost its
    /// process or its process lost the run's lease mid-attempt.
    AttemptOutcome {
        Running => "running",
        Completed => "completed",
        Warned => "warned",
        Retrying => "retrying",
        Failed => "failed",
        Deferred => "deferred",
        Cancelled => "cancelled",
        Interrupted => "interrupted",
    }
);

/// One attempt of a step: when, by which process, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttemptDto {
    pub attempt: i64,
    /// The console process that ran it (`host/pid/boot`).
    pub process: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub outcome: AttemptOutcome,
    pub error: Option<String>,
}

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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepDto {
    pub position: i64,
    pub name: String,
    pub state: StepState,
    pub attempts: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub last_error: Option<String>,
    pub log: String,
    /// Every attempt, oldest first (across retries, recoveries and replicas).
    #[serde(default)]
    pub history: Vec<AttemptDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// The console process (replica) that holds or last held the run.
    #[serde(default)]
    pub owner: Option<String>,
}
