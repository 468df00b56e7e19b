//! Data carried between the server and the browser. Plain serde types: no
//! secrets (password hashes, session ids) ever live in them.

/// A lowercase-string enum with `ALL`, `as_str`, `parse` and `Display`.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(value: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod alerts;
mod application;
mod audit;
mod backup;
mod contract;
mod custom_field;
mod lenient;
mod live;
mod ops;
mod page;
mod release;
mod rollout;
mod run;
mod staff;
mod stats;
mod template;
mod tenant;

pub use alerts::{
    AlertDto, AlertEventDto, AlertQuery, AlertState, ChannelDto, ChannelForm, ChannelKind,
    NotificationDto, RuleDto, RuleId, RuleOverrideForm, RuleSettings, SavedChannel, Severity,
    SilenceDto, SilenceForm,
};
pub use application::{ApplicationDto, ApplicationForm, ReleaseDto, ReleaseForm};
pub use audit::{AuditEventDto, AuditQuery, DashboardDto};
pub use backup::{BackupDto, BackupMethod, RestoreForm};
pub use contract::{
    ApiKeyDto, ApiKeysSpec, ContractSpec, HealthCheckSpec, IssuedApiKey, OwnerMessageDto,
    OwnerMessagesDto, RotateKeyForm, DEFAULT_HEALTH_TIMEOUT_SECS, DEFAULT_KEY_OVERLAP_HOURS,
    MAX_KEY_OVERLAP_HOURS,
};
pub use custom_field::{CustomFieldKind, CustomFieldSpec, CustomValues};
pub use live::{
    CertificateDto, Health, HealthDto, HealthEventDto, K8sEventDto, LiveEvent, LiveKind, PodDto,
    QuotaUseDto, TenantLiveDto, Topic, WorkloadDto,
};
pub use ops::{
    BulkForm, BulkResult, ChangeAction, ChangeForm, ChangePreview, DeprovisionForm, FieldChange,
    ObjectChange, RotateSecretsForm, RunOptions, RunQuery, TenantDryRun, MAX_BULK,
};
pub use page::{page_bounds, Page};
pub use release::{
    Alphabet, AutoscaleSpec, ComponentSpec, DatabaseKind, DatabaseSpec, EnvVar, FileSpec,
    HttpProbe, JobPhase, JobSpec, PodSecurity, PortSpec, ProbeSpec, ReleaseSpec, ResourcesSpec,
    RouteSpec, SecretKeySpec, SecretSpec, VolumeSpec, DEFAULT_DATABASE_NAME, DEFAULT_RUN_AS_USER,
};
pub use rollout::{
    RollbackForm, RolloutDto, RolloutForm, RolloutPlan, RolloutState, RolloutTenantDto,
    RolloutTenantState, DRY_RUN_MAX,
};
pub use run::{AttemptDto, AttemptOutcome, Operation, RunDto, RunState, StepDto, StepState};
pub use staff::{
    CurrentStaff, NewStaffResult, NewTokenForm, NewTokenResult, Principal, Role, StaffDto, TokenDto,
};
pub use stats::{
    DayCounts, DayRuns, DayTiers, Durations, FailureCause, OperationRuns, RunFact, RunLink,
    StatsDto, StepFact, TenantFact, TierStateCount,
};
pub use template::{
    TemplateChoice, TemplateDetail, TemplateDto, TemplateForm, TemplateVersionDto, TierSpec,
    DEFAULT_BACKUP_RETENTION, DEFAULT_BACKUP_SCHEDULE, DEFAULT_RUN_TIMEOUT_SECS,
};
pub use tenant::{
    Credential, IdCheck, NewTenantForm, TenantDto, TenantForm, TenantQuery, TenantSort, TenantState,
};
