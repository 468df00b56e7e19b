# The application's database role without superuser rights (StatefulSet
# tenants; CloudNativePG makes its owner role so already). The image's
# entrypoint made POSTGRES_USER (the application's role) the cluster's
# superuser and the owner of its database and of everything the
# migrations made: here that role hands its superuser rights to a role of
# their own (the db-superuser Secret) and keeps only ownership. Run on
# every migration; once done, it only checks. Passwords come from the
# environment through psql's \getenv, never from a command line.
set -eu
export PGHOST="${PGHOST:-db}" PGDATABASE="${PGDATABASE:-app}"
as_app() { PGUSER="$APP_USER" PGPASSWORD="$APP_PASSWORD" psql -X -v ON_ERROR_STOP=1 "$@"; }
as_super() { PGUSER="$SUPER_USER" PGPASSWORD="$SUPER_PASSWORD" psql -X -v ON_ERROR_STOP=1 "$@"; }
super=$(as_app -tAc "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
if [ "$super" = t ]; then
  as_app <<'SQL'
\getenv super SUPER_USER
\getenv pw SUPER_PASSWORD
SELECT format('CREATE ROLE %I SUPERUSER LOGIN', :'super')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'super') \gexec
SELECT format('ALTER ROLE %I SUPERUSER LOGIN PASSWORD %L', :'super', :'pw') \gexec
SQL
  as_super <<'SQL'
\getenv app APP_USER
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', :'app') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'app') \gexec
SQL
  echo "db-roles: $APP_USER is no longer a superuser; $SUPER_USER is"
else
  echo "db-roles: $APP_USER is not a superuser"
fi
