//! What a tenant's TLS certificate is doing, from cert-manager's Ready
//! condition as the cluster index keeps it: ready, still being issued, or
//! failed (with the reason, shown beside it).

use crate::dto::CertificateDto;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateState {
    Ready,
    Issuing,
    Failed,
}

impl CertificateState {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateState::Ready => "ready",
            CertificateState::Issuing => "issuing",
            CertificateState::Failed => "failed",
        }
    }
}

/// Reasons cert-manager gives a Certificate that is on its way.
const ON_ITS_WAY: &[&str] = &[
    "DoesNotExist",
    "InProgress",
    "Issuing",
    "Pending",
    "Requested",
];

pub fn certificate_state(c: &CertificateDto) -> CertificateState {
    if c.ready {
        return CertificateState::Ready;
    }
    let code = c
        .reason
        .as_deref()
        .and_then(|r| r.split(':').next())
        .map(str::trim);
    match code {
        None => CertificateState::Issuing,
        Some(code) if ON_ITS_WAY.contains(&code) || code.starts_with("no Ready condition") => {
            CertificateState::Issuing
        }
        Some(_) => CertificateState::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(ready: bool, reason: Option<&str>) -> CertificateDto {
        CertificateDto {
            name: "tenant-tls".into(),
            hosts: vec!["acme.tenants.example.com".into()],
            ready,
            reason: reason.map(String::from),
            not_after: None,
        }
    }

    #[test]
    fn ready_issuing_and_failed() {
        assert_eq!(
            certificate_state(&cert(true, None)),
            CertificateState::Ready
        );
        assert_eq!(
            certificate_state(&cert(false, None)),
            CertificateState::Issuing
        );
        assert_eq!(
            certificate_state(&cert(false, Some("no Ready condition yet"))),
            CertificateState::Issuing
        );
        assert_eq!(
            certificate_state(&cert(
                false,
                Some("DoesNotExist: Issuing certificate as Secret does not exist")
            )),
            CertificateState::Issuing
        );
        assert_eq!(
            certificate_state(&cert(
                false,
                Some("Failed: rate limited by the ACME server")
            )),
            CertificateState::Failed
        );
    }
}
