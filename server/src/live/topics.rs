//! What a stream may subscribe to, checked before it opens.

use app::domain::tenant_id::validate_tenant_id;
use app::dto::Topic;
use app::error::AppError;

/// Topics one stream may hold at once.
pub const MAX_TOPICS: usize = 32;

/// A stream's validated topics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topics(Vec<Topic>);

impl Topics {
    /// Parses `tenants,runs,alerts,tenant:<id>,run:<n>`; anything else is
    /// refused with the rule it broke.
    pub fn parse(list: &str) -> Result<Topics, AppError> {
        let bad = |why: String| AppError::invalid("topics", why);
        let mut topics = Vec::new();
        for t in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let topic = Topic::parse(t).filter(|topic| match topic {
                Topic::Tenant(id) => validate_tenant_id(id).is_ok(),
                _ => true,
            });
            let Some(topic) = topic else {
                return Err(bad(format!(
                    "\"{}\" is not a topic: use tenants, runs, alerts, rollouts, tenant:<id>, run:<number> or rollout:<number>",
                    t.chars().take(60).collect::<String>()
                )));
            };
            if !topics.contains(&topic) {
                topics.push(topic);
            }
        }
        if topics.is_empty() {
            return Err(bad("name at least one topic".into()));
        }
        if topics.len() > MAX_TOPICS {
            return Err(bad(format!("at most {MAX_TOPICS} topics per stream")));
        }
        Ok(Topics(topics))
    }

    pub fn wants(&self, topic: &Topic) -> bool {
        self.0.contains(topic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_topics_pass_and_others_name_the_rule() {
        let t = Topics::parse("tenants, tenant:acme-x1, run:42,tenants").unwrap();
        assert!(
            t.wants(&Topic::Tenant("acme-x1".into()))
                && t.wants(&Topic::Run(42))
                && !t.wants(&Topic::Runs)
        );
        for bad in ["", "pods", "tenant:Bad Id", "run:x", "secret:a"] {
            let e = Topics::parse(bad).unwrap_err();
            assert!(e.field_message("topics").is_some(), "{bad}");
        }
    }
}
