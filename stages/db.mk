# Database selection and the embedded PostgreSQL cluster in $(WORK)/pg.
#
# The embedded cluster is used unless DATABASE_URL, PGHOST, PGHOSTADDR or
# PGSERVICE names another server, in the environment or on the command line.
# In embedded mode make exports PGHOST (the cluster's socket directory),
# PGPORT, PGUSER and PGDATABASE to every recipe, and STAGELOAD_EMBEDDED_DB=1,
# so that load's connection errors can point at make db-start. A make started by this one
# inherits that PGHOST, which points at this WORK's own socket directory, so
# it stays in embedded mode. Any other PGHOST counts as an external server:
# `make test` exports PGHOST for the tests, so a make that a test runs with
# its own WORK loads into the cluster that `make test` started.
# stages/db.sh does the work.

DB_SH := stages/db.sh
EMBEDDED_PGPORT ?= 5432
EMBEDDED_PGUSER ?= postgres
EMBEDDED_PGDATABASE ?= imdb

embedded_socket_dirs := $(abspath $(WORK))/pg/socket \
  $(if $(realpath $(WORK)/pg),$(realpath $(WORK)/pg)/socket)

# $(value) reads a password containing '$' without expanding it.
ifneq ($(value DATABASE_URL),)
DB_MODE := external
DB_NAMED_BY := DATABASE_URL
else ifneq ($(PGHOSTADDR)$(PGSERVICE),)
DB_MODE := external
DB_NAMED_BY := $(if $(PGHOSTADDR),PGHOSTADDR,PGSERVICE)
else ifeq ($(PGHOST),)
DB_MODE := embedded
else ifneq ($(filter $(PGHOST),$(embedded_socket_dirs)),)
DB_MODE := embedded
else
DB_MODE := external
DB_NAMED_BY := PGHOST
endif

ifeq ($(DB_MODE),embedded)
# An empty DATABASE_URL must not reach the tools.
unexport DATABASE_URL
# Recursive, so that each recipe sees where db-ready put the cluster.
export PGHOST = $(or $(realpath $(WORK)/pg),$(abspath $(WORK)/pg))/socket
export PGPORT := $(EMBEDDED_PGPORT)
export PGUSER := $(EMBEDDED_PGUSER)
export PGDATABASE := $(EMBEDDED_PGDATABASE)
export STAGELOAD_EMBEDDED_DB := 1
# Order-only prerequisite of every rule that connects to the database.
DB_READY := db-ready
else
DB_READY :=
# A make started by an embedded-mode make may use another server.
unexport STAGELOAD_EMBEDDED_DB
endif

.PHONY: db-start db-ready db-stop db-url psql

ifeq ($(DB_MODE),embedded)
db-start:
	@$(DB_SH) start $(WORK)
else
db-start:
	@echo "db-start: $(DB_NAMED_BY) is set, so make uses that database and not the embedded one"
endif

db-ready:
	@$(DB_SH) start --quiet $(WORK)

# Stops the embedded cluster of this WORK even when DB_MODE is external.
db-stop:
	@$(DB_SH) stop $(WORK)

db-url: | $(DB_READY)
	@$(DB_SH) url

psql: | $(DB_READY)
	@$(DB_SH) psql
