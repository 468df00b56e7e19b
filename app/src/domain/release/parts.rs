//! The rules of a release's components (names, images, ports, routes,
//! probes, resources, files, volumes, autoscaling, who they run as) and its
//! jobs.

use super::*;

pub(super) fn components(r: &ReleaseSpec, refs: &Refs, e: &mut FieldErrors) {
    if r.components.is_empty() || r.components.len() > MAX_COMPONENTS {
        e.push(
            "components",
            format!("must hold 1 to {MAX_COMPONENTS} components"),
        );
    }
    let mut seen = HashSet::new();
    let mut routes: Vec<(String, String)> = vec![];
    for (i, c) in r.components.iter().enumerate() {
        let at = place("components", i, &c.name, &mut seen, 40);
        if let Err(rule) = names::dns_label(&c.name, 40) {
            e.push(&format!("{at}.name"), rule);
        } else if RESERVED_COMPONENTS.contains(&c.name.as_str()) {
            e.push(
                &format!("{at}.name"),
                format!("\"{}\" is Tenantry's own", c.name),
            );
        } else if at.ends_with(']') {
            e.push(
                &format!("{at}.name"),
                format!("\"{}\" is declared twice", c.name),
            );
        }
        e.check(&format!("{at}.image"), names::image(&c.image));
        if let Some(f) = &c.feature {
            e.check(
                &format!("{at}.feature"),
                crate::domain::template_rules::feature_name(f),
            );
        }
        env_list(&format!("{at}.env"), &c.env, refs, e);
        let mut ports = HashSet::new();
        let mut numbers = HashSet::new();
        for (j, p) in c.ports.iter().enumerate() {
            let pf = format!("{at}.ports[{j}]");
            if e.check(&format!("{pf}.name"), names::port_name(&p.name))
                .is_some()
                && !ports.insert(p.name.as_str())
            {
                e.push(
                    &format!("{pf}.name"),
                    format!("\"{}\" is declared twice", p.name),
                );
            }
            if p.container_port == 0 {
                e.push(&format!("{pf}.container_port"), "must be 1 to 65535");
            }
            let service = p.service_port.unwrap_or(p.container_port);
            if service == 0 {
                e.push(&format!("{pf}.service_port"), "must be 1 to 65535");
            } else if !numbers.insert(service) {
                e.push(
                    &format!("{pf}.service_port"),
                    format!("{service} is used twice"),
                );
            }
        }
        let has_port = |name: &str| c.ports.iter().any(|p| p.name == name);
        if let Some(route) = &c.route {
            if e.check(&format!("{at}.route.path"), names::route_path(&route.path))
                .is_some()
            {
                if let Some((_, other)) = routes.iter().find(|(p, _)| *p == route.path) {
                    e.push(
                        &format!("{at}.route.path"),
                        format!("{} is also the route of {other}", route.path),
                    );
                }
                routes.push((route.path.clone(), at.clone()));
            }
            match &route.port {
                Some(p) if !has_port(p) => e.push(
                    &format!("{at}.route.port"),
                    format!("names no port of the component: {p}"),
                ),
                None if c.ports.is_empty() => e.push(
                    &format!("{at}.route"),
                    "needs a port to serve (ports is empty)",
                ),
                _ => {}
            }
        }
        for (name, probe) in [("readiness", &c.readiness), ("liveness", &c.liveness)] {
            if let Some(p) = probe {
                self::probe(&format!("{at}.{name}"), p, &has_port, e);
            }
        }
        if let Some(n) = c.replicas {
            if !(1..=100).contains(&n) {
                e.push(&format!("{at}.replicas"), "must be 1 to 100");
            }
            if n > 1 && !c.volumes.is_empty() {
                e.push(
                    &format!("{at}.replicas"),
                    "a component with volumes runs one replica",
                );
            }
        }
        if let Some(res) = &c.resources {
            resources(&format!("{at}.resources"), res, e);
        }
        if let Some(a) = &c.autoscale {
            if !(1..=100).contains(&a.cpu_utilization) {
                e.push(
                    &format!("{at}.autoscale.cpu_utilization"),
                    "must be 1 to 100 (percent)",
                );
            }
            if !c.volumes.is_empty() {
                e.push(
                    &format!("{at}.autoscale"),
                    "a component with volumes runs one replica",
                );
            }
        }
        let mut paths = HashSet::new();
        for (j, f) in c.files.iter().enumerate() {
            let ff = format!("{at}.files[{j}]");
            if e.check(&format!("{ff}.path"), names::mount_path(&f.path))
                .is_some()
                && !paths.insert(f.path.as_str())
            {
                e.push(&format!("{ff}.path"), format!("{} is used twice", f.path));
            }
            if f.content.len() > MAX_FILE_BYTES {
                e.push(&format!("{ff}.content"), "must be at most 256 KiB");
            }
            e.check(&format!("{ff}.content"), refs.check(&f.content, false));
        }
        let mut volumes = HashSet::new();
        for (j, v) in c.volumes.iter().enumerate() {
            let vf = format!("{at}.volumes[{j}]");
            if e.check(&format!("{vf}.name"), names::dns_label(&v.name, 40))
                .is_some()
                && !volumes.insert(v.name.as_str())
            {
                e.push(
                    &format!("{vf}.name"),
                    format!("\"{}\" is declared twice", v.name),
                );
            }
            if e.check(
                &format!("{vf}.mount_path"),
                names::mount_path(&v.mount_path),
            )
            .is_some()
                && !paths.insert(v.mount_path.as_str())
            {
                e.push(
                    &format!("{vf}.mount_path"),
                    format!("{} is used twice", v.mount_path),
                );
            }
            if !(1..=65_536).contains(&v.size_gi) {
                e.push(&format!("{vf}.size_gi"), "must be 1 to 65536 Gi");
            }
        }
        run_as_user(
            &format!("{at}.run_as_user"),
            c.run_as_user,
            r.pod_security,
            e,
        );
    }
}

fn probe(at: &str, p: &ProbeSpec, has_port: &dyn Fn(&str) -> bool, e: &mut FieldErrors) {
    let kinds = usize::from(p.http.is_some())
        + usize::from(p.tcp.is_some())
        + usize::from(!p.exec.is_empty());
    if kinds != 1 {
        e.push(at, "must have exactly one of http, tcp and exec");
    }
    if let Some(h) = &p.http {
        if !h.path.starts_with('/') || h.path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            e.push(
                &format!("{at}.http.path"),
                "must start with '/' and hold no spaces",
            );
        }
        if !has_port(&h.port) {
            e.push(
                &format!("{at}.http.port"),
                format!("names no port of the component: {}", h.port),
            );
        }
    }
    if let Some(t) = &p.tcp {
        if !has_port(t) {
            e.push(
                &format!("{at}.tcp"),
                format!("names no port of the component: {t}"),
            );
        }
    }
    for (name, v, range) in [
        ("period_seconds", p.period_seconds, 1..=3600),
        ("initial_delay_seconds", p.initial_delay_seconds, 0..=3600),
        ("failure_threshold", p.failure_threshold, 1..=100),
    ] {
        if v.is_some_and(|v| !range.contains(&v)) {
            e.push(
                &format!("{at}.{name}"),
                format!("must be {} to {}", range.start(), range.end()),
            );
        }
    }
}

fn resources(at: &str, r: &ResourcesSpec, e: &mut FieldErrors) {
    if !(10..=64_000).contains(&r.cpu_request_m) {
        e.push(
            &format!("{at}.cpu_request_m"),
            "must be 10 to 64000 millicores",
        );
    }
    if !(16..=262_144).contains(&r.memory_request_mi) {
        e.push(
            &format!("{at}.memory_request_mi"),
            "must be 16 to 262144 Mi",
        );
    }
    if r.cpu_limit_m < r.cpu_request_m || r.cpu_limit_m > 64_000 {
        e.push(
            &format!("{at}.cpu_limit_m"),
            "must be at least the request and at most 64000",
        );
    }
    if r.memory_limit_mi < r.memory_request_mi || r.memory_limit_mi > 262_144 {
        e.push(
            &format!("{at}.memory_limit_mi"),
            "must be at least the request and at most 262144",
        );
    }
}

fn run_as_user(at: &str, uid: Option<i64>, level: PodSecurity, e: &mut FieldErrors) {
    match uid {
        Some(u) if !(0..=2_147_483_647).contains(&u) => e.push(at, "must be 0 to 2147483647"),
        Some(0) if level == PodSecurity::Restricted => e.push(
            at,
            "0 (root) is refused by the restricted Pod Security level",
        ),
        _ => {}
    }
}

pub(super) fn jobs(r: &ReleaseSpec, refs: &Refs, e: &mut FieldErrors) {
    if r.jobs.len() > MAX_JOBS {
        e.push("jobs", format!("must hold at most {MAX_JOBS} jobs"));
    }
    let mut seen = HashSet::new();
    for (i, j) in r.jobs.iter().enumerate() {
        let JobSpec {
            name,
            image,
            env,
            backoff_limit,
            attempts,
            resources: res,
            run_as_user: uid,
            ..
        } = j;
        let at = place("jobs", i, name, &mut seen, 30);
        if let Err(rule) = names::dns_label(name, 30) {
            e.push(&format!("{at}.name"), rule);
        } else if at.ends_with(']') {
            e.push(
                &format!("{at}.name"),
                format!("\"{name}\" is declared twice"),
            );
        }
        e.check(&format!("{at}.image"), names::image(image));
        env_list(&format!("{at}.env"), env, refs, e);
        if backoff_limit.is_some_and(|b| b > 20) {
            e.push(&format!("{at}.backoff_limit"), "must be 0 to 20");
        }
        if attempts.is_some_and(|a| !(1..=MAX_JOB_ATTEMPTS).contains(&a)) {
            e.push(
                &format!("{at}.attempts"),
                format!("must be 1 to {MAX_JOB_ATTEMPTS}"),
            );
        }
        if attempts.is_some_and(|a| a > 1) && j.phase == crate::dto::JobPhase::Migrate {
            e.push(
                &format!("{at}.attempts"),
                "a migration runs once per step (its Job's backoff_limit retries its pod)",
            );
        }
        if j.backup_first && j.phase != crate::dto::JobPhase::Migrate {
            e.push(
                &format!("{at}.backup_first"),
                "only a migrate job is preceded by a backup",
            );
        } else if j.backup_first && !r.database.dumped() {
            e.push(
                &format!("{at}.backup_first"),
                format!(
                    "the release's database ({}) is not dumped by Tenantry: only a PostgreSQL database with backups is",
                    r.database.kind
                ),
            );
        }
        if let Some(res) = res {
            resources(&format!("{at}.resources"), res, e);
        }
        run_as_user(&format!("{at}.run_as_user"), *uid, r.pod_security, e);
    }
}
