-- A rule read from Prometheus may have its own PromQL expression per
-- template or tenant. An added nullable column: the previous release
-- ignores it.
ALTER TABLE alert_rule_overrides ADD COLUMN expression TEXT;
