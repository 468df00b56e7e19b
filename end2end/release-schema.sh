#!/usr/bin/env bash
# The seeded applications' releases and the test releases validate against
# the published release schema (public/schemas/release.schema.json), with
# the same JSON Schema validator editors use.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${TENANTRY_CACHE:-$HOME/.cache/tenantry}/venv/bin/python"
"$PY" - server/seed/applications/*.yaml server/tests/releases/*.yaml <<'PYEOF'
import json, sys
import jsonschema, yaml

with open("public/schemas/release.schema.json") as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"{path}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
    failed += len(errors)
    print(f"{path}: {'valid' if not errors else 'INVALID'}")
# A release the schema must refuse: an unknown field.
bad = {"components": [{"name": "api", "image": "api:1", "replica": 2}]}
if validator.is_valid(bad):
    print("the schema accepts an unknown field"); failed += 1
sys.exit(1 if failed else 0)
PYEOF
