//! The tiers' backup schedules, kept by the leader: a dump Job per due
//! slot (instead of a CronJob in each namespace, which would need the
//! store's key there), each with its one presigned URL.

use app::dto::TenantState;

use super::Runner;
use crate::error::Result;
use crate::provisioning::desired::TenantPlan;

impl Runner {
    /// Starts the scheduled dump Jobs that are due (the leader calls this
    /// on each sweep): for each live tenant whose tier has backups, a Job
    /// for the schedule's latest slot within a day, once (named by the
    /// slot), with its one presigned URL. CloudNativePG schedules its own.
    /// Returns how many it started.
    pub async fn start_scheduled_backups(&self, now: i64) -> Result<usize> {
        let Some(objects) = &self.objects else {
            return Ok(0);
        };
        if self.cluster.caps.cnpg {
            return Ok(0);
        }
        let mut started = 0;
        for (id, ns, rec) in self.store.namespaces_made().await? {
            match self
                .start_scheduled_backup(objects, (&id, &ns, &rec), now)
                .await
            {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(tenant = %id, error = %e, "could not start a scheduled backup")
                }
            }
        }
        Ok(started)
    }

    async fn start_scheduled_backup(
        &self,
        objects: &crate::provisioning::ObjectStore,
        (id, ns, rec): (&str, &str, &crate::store::NamespaceRecord),
        now: i64,
    ) -> Result<bool> {
        let tenant = self.store.get_tenant(id).await?;
        if !(tenant.state.is_live() || tenant.state == TenantState::Suspended) {
            return Ok(false);
        }
        let plan = TenantPlan::of(&self.store, &tenant).await?;
        if !plan.tier.backup_enabled {
            return Ok(false);
        }
        let Some(slot) = crate::provisioning::backups::latest_slot(&plan.tier.backup_schedule, now)
        else {
            return Ok(false);
        };
        let at = crate::provisioning::desired::At {
            id,
            namespace: ns,
            ..crate::provisioning::desired::at(&tenant)
        };
        let job = plan
            .desired(at, &self.settings, &self.cluster.caps)
            .scheduled_backup(slot);
        let client = &self.cluster.client;
        if crate::cluster::get_live(client, &job).await?.is_some() {
            return Ok(false);
        }
        let target = crate::cluster::TenantNamespace {
            name: ns,
            tenant: id,
            uid: rec.uid.as_deref(),
            nonce: rec.nonce.as_deref(),
        };
        if !matches!(
            crate::cluster::ownership::inspect(client, &target).await?,
            crate::cluster::ownership::NamespaceFound::Ours {
                terminating: false,
                ..
            }
        ) {
            return Ok(false);
        }
        let object =
            crate::provisioning::backups::dump_key(Some(objects), id, &job.name, slot * 1000);
        let valid = std::time::Duration::from_secs(
            crate::manifests::BACKUP_DEADLINE_SECS.unsigned_abs() + 600,
        );
        let url = objects.put_url(&object, valid);
        crate::cluster::apply_manifest(
            client,
            &crate::manifests::with_object(&job, &object, url.as_str()),
        )
        .await?;
        Ok(true)
    }
}
