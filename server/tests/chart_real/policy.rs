//! The chart's ValidatingAdmissionPolicy, evaluated as the API server would
//! (match conditions, then the variables in order, then every validation)
//! with a CEL interpreter on request fixtures: the 1.20 test cluster does
//! not serve admission policies, so this is where its CEL is proven.

use cel_interpreter::{Context, Program, Value as Cel};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{render, KUBE_VERSION};

/// The console's user, as the chart renders it for release `tenantry` in
/// namespace `tenantry`.
const CONSOLE: &str = "system:serviceaccount:tenantry:tenantry";
const TENANT_ROLE: &str = "tenantry-tenantry-tenant";

fn policy() -> Value {
    let manifest = render(&[
        "--kube-version".into(),
        "1.31.0".into(),
        "--api-versions".into(),
        "admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy".into(),
    ]);
    let default = render(&["--kube-version".into(), KUBE_VERSION.into()]);
    assert!(
        !default.contains("ValidatingAdmissionPolicy"),
        "rendered where the cluster does not serve it"
    );
    let found = yaml_serde::Deserializer::from_str(&manifest)
        .filter_map(|d| Value::deserialize(d).ok())
        .find(|v| v["kind"] == "ValidatingAdmissionPolicy");
    found.expect("the policy is on by default where it is served")
}

fn eval(ctx: &Context, expr: &str) -> Cel {
    Program::compile(expr)
        .unwrap_or_else(|e| panic!("{expr}: {e:?}"))
        .execute(ctx)
        .unwrap_or_else(|e| panic!("{expr}: {e:?}"))
}

/// A request: who, what, and the objects the API server hands the policy.
struct Req {
    user: &'static str,
    op: &'static str,
    resource: &'static str,
    ns: &'static str,
    name: &'static str,
    object: Value,
    old: Value,
    namespace_object: Value,
}

/// An object as the API server hands it to CEL: property names that are
/// CEL's reserved words are escaped (`namespace` → `__namespace__`).
fn escaped(v: &Value) -> Value {
    const RESERVED: &[&str] = &[
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let k = if RESERVED.contains(&k.as_str()) {
                        format!("__{k}__")
                    } else {
                        k.clone()
                    };
                    (k, escaped(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(escaped).collect()),
        other => other.clone(),
    }
}

/// `Ok` when admitted, else the first refusal's message.
fn admit(policy: &Value, r: &Req) -> Result<(), String> {
    let spec = &policy["spec"];
    let mut ctx = Context::default();
    let request = json!({
        "userInfo": { "username": r.user },
        "operation": r.op,
        "resource": { "resource": r.resource },
        "namespace": r.ns,
        "name": r.name,
    });
    ctx.add_variable("request", request).unwrap();
    ctx.add_variable("object", escaped(&r.object)).unwrap();
    ctx.add_variable("oldObject", escaped(&r.old)).unwrap();
    ctx.add_variable("namespaceObject", escaped(&r.namespace_object))
        .unwrap();
    for c in spec["matchConditions"].as_array().unwrap() {
        if eval(&ctx, c["expression"].as_str().unwrap()) != Cel::Bool(true) {
            return Ok(());
        }
    }
    let mut variables = serde_json::Map::new();
    ctx.add_variable("variables", Value::Object(variables.clone()))
        .unwrap();
    for v in spec["variables"].as_array().unwrap() {
        let got = eval(&ctx, v["expression"].as_str().unwrap());
        let got = got.json().unwrap();
        variables.insert(v["name"].as_str().unwrap().into(), got);
        ctx.add_variable("variables", Value::Object(variables.clone()))
            .unwrap();
    }
    for v in spec["validations"].as_array().unwrap() {
        if eval(&ctx, v["expression"].as_str().unwrap()) != Cel::Bool(true) {
            return Err(match eval(&ctx, v["messageExpression"].as_str().unwrap()) {
                Cel::String(s) => s.to_string(),
                other => format!("{other:?}"),
            });
        }
    }
    Ok(())
}

fn namespace(name: &str, labels: Value) -> Value {
    json!({ "kind": "Namespace", "metadata": { "name": name, "labels": labels } })
}

fn tenant_ns() -> Value {
    namespace(
        "tenant-acme",
        json!({ "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": "acme" }),
    )
}

fn binding(role: &str, labelled: bool) -> Value {
    let labels = if labelled {
        json!({ "app.kubernetes.io/managed-by": "tenantry", "tenantry.io/tenant": "acme" })
    } else {
        json!({})
    };
    json!({
        "kind": "RoleBinding",
        "metadata": { "name": "tenantry", "labels": labels },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role },
        "subjects": [{ "kind": "ServiceAccount", "name": "tenantry", "namespace": "tenantry" }]
    })
}

fn by_console(
    op: &'static str,
    resource: &'static str,
    ns: &'static str,
    name: &'static str,
) -> Req {
    Req {
        user: CONSOLE,
        op,
        resource,
        ns,
        name,
        object: Value::Null,
        old: Value::Null,
        namespace_object: Value::Null,
    }
}

#[test]
fn the_admission_policy_refuses_what_rbac_cannot() {
    let Some(_) = super::helm() else { return };
    let p = policy();
    let kube_system = namespace("kube-system", json!({}));

    // Refused: binding the tenant role into kube-system (RBAC allows it).
    let r = Req {
        object: binding(TENANT_ROLE, true),
        namespace_object: kube_system.clone(),
        ..by_console("CREATE", "rolebindings", "kube-system", "tenantry")
    };
    let e = admit(&p, &r).unwrap_err();
    assert!(
        e.contains("refused: rolebindings kube-system/tenantry"),
        "{e}"
    );

    // Refused: a service-account-token Secret, even in a tenant namespace.
    let r = Req {
        object: json!({ "kind": "Secret", "type": "kubernetes.io/service-account-token",
                        "metadata": { "name": "steal" } }),
        namespace_object: tenant_ns(),
        ..by_console("CREATE", "secrets", "tenant-acme", "steal")
    };
    let e = admit(&p, &r).unwrap_err();
    assert!(e.contains("service-account-token"), "{e}");

    // Refused: RoleBindings that are not Tenantry's, in its own namespace.
    for (role, labelled) in [(TENANT_ROLE, false), ("admin", true)] {
        let r = Req {
            object: binding(role, labelled),
            namespace_object: tenant_ns(),
            ..by_console("CREATE", "rolebindings", "tenant-acme", "tenantry")
        };
        let e = admit(&p, &r).unwrap_err();
        assert!(
            e.contains("binds only its tenant role"),
            "{role} {labelled}: {e}"
        );
    }

    // Refused: the tenant role bound to anyone else (every signed-in user
    // would read the tenant's Secrets), or under another name.
    let mut to_everyone = binding(TENANT_ROLE, true);
    to_everyone["subjects"] = json!([{ "kind": "Group", "name": "system:authenticated",
                                       "apiGroup": "rbac.authorization.k8s.io" }]);
    let mut two = binding(TENANT_ROLE, true);
    two["subjects"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "kind": "ServiceAccount", "name": "default", "namespace": "tenant-acme" }));
    let mut renamed = binding(TENANT_ROLE, true);
    renamed["metadata"]["name"] = json!("extra");
    for (what, object) in [
        ("a group", to_everyone),
        ("two subjects", two),
        ("another name", renamed),
    ] {
        let r = Req {
            object,
            namespace_object: tenant_ns(),
            ..by_console("CREATE", "rolebindings", "tenant-acme", "tenantry")
        };
        let e = admit(&p, &r).expect_err(what);
        assert!(e.contains("binds only its tenant role"), "{what}: {e}");
    }

    // Refused: relabelling a foreign namespace as Tenantry's (judged on the
    // namespace as it was), and deleting one.
    let foreign = namespace("tenant-theirs", json!({ "team": "payments" }));
    let mut relabelled = foreign.clone();
    relabelled["metadata"]["labels"] = tenant_ns()["metadata"]["labels"].clone();
    let r = Req {
        object: relabelled,
        old: foreign.clone(),
        ..by_console("UPDATE", "namespaces", "tenant-theirs", "tenant-theirs")
    };
    assert!(
        admit(&p, &r).is_err(),
        "a relabelled namespace was admitted"
    );
    let r = Req {
        old: foreign,
        ..by_console("DELETE", "namespaces", "tenant-theirs", "tenant-theirs")
    };
    assert!(
        admit(&p, &r).is_err(),
        "a foreign namespace's delete was admitted"
    );
    // …and a Deployment in kube-system, a Secret in its own namespace other
    // than the first admin's.
    let r = Req {
        object: json!({ "kind": "Deployment", "metadata": { "name": "x" } }),
        namespace_object: kube_system.clone(),
        ..by_console("CREATE", "deployments", "kube-system", "x")
    };
    assert!(admit(&p, &r).is_err());
    let own = namespace("tenantry", json!({}));
    let r = Req {
        object: json!({ "kind": "Secret", "metadata": { "name": "other" } }),
        namespace_object: own.clone(),
        ..by_console("CREATE", "secrets", "tenantry", "other")
    };
    assert!(admit(&p, &r).is_err());

    // Admitted: what the console does.
    let admitted = [
        Req {
            object: tenant_ns(),
            ..by_console("CREATE", "namespaces", "tenant-acme", "tenant-acme")
        },
        Req {
            object: tenant_ns(),
            old: tenant_ns(),
            ..by_console("UPDATE", "namespaces", "tenant-acme", "tenant-acme")
        },
        Req {
            old: tenant_ns(),
            ..by_console("DELETE", "namespaces", "tenant-acme", "tenant-acme")
        },
        Req {
            object: binding(TENANT_ROLE, true),
            namespace_object: tenant_ns(),
            ..by_console("CREATE", "rolebindings", "tenant-acme", "tenantry")
        },
        Req {
            object: binding(TENANT_ROLE, true),
            old: binding(TENANT_ROLE, true),
            namespace_object: tenant_ns(),
            ..by_console("UPDATE", "rolebindings", "tenant-acme", "tenantry")
        },
        Req {
            object: json!({ "kind": "Secret", "type": "Opaque", "metadata": { "name": "db" } }),
            namespace_object: tenant_ns(),
            ..by_console("CREATE", "secrets", "tenant-acme", "db")
        },
        Req {
            object: json!({ "kind": "Secret", "metadata": { "name": "tenantry-initial-admin" } }),
            namespace_object: own,
            ..by_console("CREATE", "secrets", "tenantry", "tenantry-initial-admin")
        },
        // Someone else entirely: not the policy's business.
        Req {
            user: "kubernetes-admin",
            object: binding("admin", false),
            namespace_object: kube_system,
            ..by_console("CREATE", "rolebindings", "kube-system", "x")
        },
    ];
    for r in &admitted {
        assert_eq!(
            admit(&p, r),
            Ok(()),
            "{} {} {}/{}",
            r.op,
            r.resource,
            r.ns,
            r.name
        );
    }
}
