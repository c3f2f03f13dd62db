# stageload: load IMDb's gzipped TSV datasets into PostgreSQL.
#
# Every step is a file target under $(WORK), so a rerun does only what is
# missing or failed:
#   $(WORK)/download/NAME.tsv.gz      fetch SOURCE               stages/fetch.mk
#   $(WORK)/chunks/NAME/manifest.tsv  inflate | split | load     stages/split.mk
#   $(WORK)/loaded/NAME/table.ok      load --create              stages/load.mk
#   $(WORK)/loaded/NAME/000001.ok     load one chunk             stages/load.mk
# The database is an embedded PostgreSQL cluster in $(WORK)/pg unless
# DATABASE_URL or PGHOST names another one (stages/db.mk). `make help` lists
# the targets and variables.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules
.DEFAULT_GOAL := all

DATASET ?= name.basics
DATASETS ?= $(DATASET)
# Every dataset split knows, in the order DATASETS=all loads them.
ALL_DATASETS := name.basics title.basics title.akas title.crew title.episode \
  title.principals title.ratings
# override, so that DATASETS=all on the command line is replaced too.
ifeq ($(strip $(DATASETS)),all)
override DATASETS := $(ALL_DATASETS)
endif
# Expanded once per dataset, with $(dataset) set to the dataset's name. A
# SOURCE without $(dataset) names one file, so it needs exactly one dataset.
IMDB_BASE_URL ?= https://datasets.imdbws.com
SOURCE ?= $(IMDB_BASE_URL)/$(dataset).tsv.gz
CHUNK_ROWS ?= 100000
# Connections that load chunks during the split (load --jobs); 0 leaves
# every chunk to the load stage, which loads them after the split.
LOAD_JOBS ?= 2
# Most rows the server may reject in one chunk before the chunk fails
# whole; empty means no limit, 0 fails a chunk at its first bad row.
MAX_REJECTS ?=
# Extra options for fetch, such as --retries 2 --stall-timeout 10.
FETCH_OPTIONS ?=
WORK ?= work

# The single-letter options, such as "knr" for make -k -n, lead MAKEFLAGS;
# long options such as --no-builtin-rules are dropped.
make_letter_flags := $(filter-out --%,$(firstword -$(MAKEFLAGS)))

# Quotes $(1) for the shell, so that a URL with & or ? stays one argument.
shell_quote = '$(subst ','\'',$(1))'

# Make splits file names at spaces, so reject them before anything runs.
ifneq ($(words $(CURDIR)),1)
$(error the project path '$(CURDIR)' contains a space, which make cannot handle in file names; clone the project to a path without spaces)
endif
ifneq ($(words $(WORK)),1)
$(error WORK='$(WORK)' must be one path without spaces)
endif
ifeq ($(strip $(DATASETS)),)
$(error DATASETS is empty; name at least one dataset, for example DATASETS=name.basics)
endif
ifneq ($(filter-out all $(ALL_DATASETS),$(DATASETS)),)
$(error unknown dataset '$(firstword $(filter-out all $(ALL_DATASETS),$(DATASETS)))' in DATASETS; expected all or some of: $(ALL_DATASETS))
endif
# all by itself was replaced above, so an all left here stands beside names.
ifneq ($(filter all,$(DATASETS)),)
$(error DATASETS='$(DATASETS)' mixes all with dataset names; give all alone, or list the datasets)
endif
ifeq ($(findstring $$(dataset),$(value SOURCE)),)
ifneq ($(words $(DATASETS)),1)
$(error SOURCE names one file, but DATASETS lists $(words $(DATASETS)) datasets; load them one at a time, or put $$(dataset) in SOURCE where the dataset name goes)
endif
endif

comma := ,

# Prints "valid" when the variable named $(1) contains an integer from $(2)
# to $(3), with no upper limit when $(3) is empty. An empty value is valid
# only when $(4), the text that says what empty means, is given. Leading
# zeros are dropped first. Every upper limit has at most 10 digits, so a
# longer number is over it and never reaches bash's 64-bit arithmetic.
integer_in_range = $(shell n=$(call shell_quote,$($(1))); \
  if [[ -z $$n ]]; then [[ -n '$(4)' ]] && echo valid; exit 0; fi; \
  [[ $$n =~ ^0*([0-9]+)$$ ]] || exit 0; \
  n=$${BASH_REMATCH[1]}; \
  if [[ ! $$n =~ ^[0-9]{1,10}$$ ]]; then [[ -z '$(3)' ]] && echo valid; exit 0; fi; \
  (( n >= $(2) )) || exit 0; \
  [[ -z '$(3)' ]] || (( n <= $(3) )) || exit 0; \
  echo valid)

# Stops make when the user set the variable named $(1) to a value outside
# what integer_in_range allows. The tools would reject it only in the middle
# of the run, where make may go on or blame a later step. Defaults are
# valid, so they are not checked, and neither is a variable not set yet.
check_integer = $(if $(filter undefined default file,$(origin $(1))),,$(if \
  $(call integer_in_range,$(1),$(2),$(3),$(4)),,$(error $(1): invalid value \
  '$($(1))'; expected an integer $(if $(3),from $(2) to $(3),of at least $(2))$(if \
  $(4),$(comma) or $(4)))))

$(call check_integer,CHUNK_ROWS,1,100000000)
$(call check_integer,LOAD_JOBS,0,64)
$(call check_integer,MAX_REJECTS,0,2147483647,empty for no limit)
$(call check_integer,BENCH_ROWS,1)
$(call check_integer,BENCH_RUNS,1)
$(call check_integer,BENCH_SEED,0)
$(call check_integer,FAULT_ROUNDS,1)
$(call check_integer,EMBEDDED_PGPORT,1,65535)

# STAGELOAD_BIN names a directory of prebuilt tools, and make then runs no
# `swift build`. `make test` sets it for the tests, because a make run by a
# test would otherwise wait for the build lock that `swift test` holds.
ifneq ($(STAGELOAD_BIN),)
BIN := $(STAGELOAD_BIN)
else
BIN := .build/release
endif
FETCH := $(BIN)/fetch
INFLATE := $(BIN)/inflate
SPLIT := $(BIN)/split
LOAD := $(BIN)/load
TOOLS := $(FETCH) $(INFLATE) $(SPLIT) $(LOAD)

include stages/db.mk
include stages/fetch.mk
include stages/split.mk
include stages/load.mk
include stages/summary.mk

.PHONY: all build test test-faults bench clean help fmt lint check

# The load and the summary run in a second make, so that the summary is
# printed even when a chunk fails, and make still exits with the failure.
# A lock on $(WORK)/run.lock makes a second make on the same WORK wait for
# the first instead of working on the same files. make -n only prints the
# second make's commands, and takes no lock and writes no file. Before the
# load, stages/markers.sh deletes a dataset's markers when they do not hold
# for the database in use, so that the second make loads it again. When it
# cannot connect, it fails with status 69, and make stops before the load.
all: build $(DB_READY)
ifneq ($(findstring n,$(make_letter_flags)),)
	+@$(MARKERS_SH) check --dry-run $(WORK) $(dataset_tables)
	+@$(MAKE) --no-print-directory load
else
	@mkdir -p $(WORK)
	+@exec 8>$(WORK)/run.lock; \
	  if ! flock -n 8; then \
	    echo "make: another make is running in $(WORK); waiting for it to finish" >&2; \
	    flock 8; \
	  fi; \
	  touch $(RUN_STAMP); \
	  $(MARKERS_SH) check $(WORK) $(dataset_tables) 8>&-; \
	  $(MAKE) --no-print-directory load 8>&- || status=$$?; \
	  $(REPORT_SH) summary --timed $(summary_arguments) 8>&-; \
	  exit $${status:-0}
endif

# The stage rules list the tools as order-only prerequisites: a rebuilt tool
# does not make finished downloads, splits or loads out of date.
ifneq ($(STAGELOAD_BIN),)
build: $(TOOLS)
$(TOOLS):
	@echo "build: $@ not found; STAGELOAD_BIN=$(STAGELOAD_BIN) must contain fetch, inflate, split and load" >&2
	@exit 66
else
build:
	swift build -c release
$(TOOLS) &:
	swift build -c release
endif

# The tests get the release tools and the database through the environment:
# STAGELOAD_BIN and either DATABASE_URL or PGHOST, PGPORT, PGUSER and
# PGDATABASE. make exports its command-line variables, so they and the MAKE*
# variables are removed: a make run by a test starts fresh, without this
# make's settings and job server.
test_env_unset := MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL MAKE_TERMOUT MAKE_TERMERR \
  DATASET DATASETS SOURCE IMDB_BASE_URL CHUNK_ROWS LOAD_JOBS MAX_REJECTS FETCH_OPTIONS REFRESH WORK \
  CHUNKS_OF

test: build $(DB_READY)
	env $(addprefix -u ,$(test_env_unset)) STAGELOAD_BIN=$(abspath $(BIN)) swift test
	$(fault_suite) --quick --seed $(or $(FAULT_SEED),1)

# The fault suite, faults/run.py: it kills, interrupts or disturbs a load
# at a random point, reruns make and checks that every row arrived exactly
# once. Each round has its own database and its own WORK in $(WORK)/faults.
# It stops and restarts only the embedded cluster, and skips those faults
# with another database. `make test` runs a short form.
FAULT_ROUNDS ?= 1
FAULT_SEED ?=
fault_suite = env $(addprefix -u ,$(test_env_unset)) python3 faults/run.py \
  --bin $(abspath $(BIN)) --base $(abspath $(WORK))/faults \
  $(if $(filter embedded,$(DB_MODE)),--cluster-work $(WORK))

test-faults: build $(DB_READY)
	$(fault_suite) --rounds $(FAULT_ROUNDS) $(if $(FAULT_SEED),--seed $(FAULT_SEED))

# Times the tools against curl, gzip -dc, pigz -dc and psql \copy on a
# synthetic name.basics of BENCH_ROWS rows, in the database stageload_bench of
# the embedded cluster; bench/run.py describes each measurement. It creates
# and drops databases, so it refuses to run on an external server.
BENCH_ROWS ?= 2000000
BENCH_RUNS ?= 3
BENCH_SEED ?= 1

ifeq ($(DB_MODE),embedded)
bench: build $(DB_READY)
	env $(addprefix -u ,$(test_env_unset)) BENCH_MAKE=$(MAKE) python3 bench/run.py \
	  --bin $(abspath $(BIN)) --work $(abspath $(WORK))/bench \
	  --rows $(BENCH_ROWS) --runs $(BENCH_RUNS) --seed $(BENCH_SEED)
else
bench:
	@echo "bench: $(DB_NAMED_BY) names an external database, but the bench creates and drops databases, so it runs only on the embedded one; unset $(DB_NAMED_BY)" >&2
	@exit 64
endif

# Removes only what the stages write, then $(WORK) itself if it is empty.
clean:
	$(DB_SH) clean $(WORK)
	rm -rf $(addprefix $(WORK)/,download chunks loaded rejects faults run.started run.lock)
	@if [[ -d $(WORK) ]]; then rmdir --ignore-fail-on-non-empty $(WORK); fi

fmt:
	swift format -i -r Sources Tests Package.swift

lint:
	swift format lint --strict -r Sources Tests Package.swift

check: lint test

help:
	@echo 'Load IMDb datasets into PostgreSQL. Targets:'
	@echo '  make              build, fetch, split and load every dataset, then print a summary'
	@echo '  make refresh      download again when the source changed, then reload and publish'
	@echo '  make -j2          run two jobs at a time: fetches and splits of different datasets,'
	@echo '                    and the chunk loads that follow a split (LOAD_JOBS sets those during it)'
	@echo '  make -k           keep loading other chunks after one fails; a rerun retries it'
	@echo '  make build        build the tools (swift build -c release)'
	@echo '  make test         build, start the database, run swift test and a short fault suite'
	@echo '  make test-faults  kill, interrupt or disturb loads, rerun make and check the result'
	@echo '  make bench        time the tools against curl, gzip, pigz and psql \copy'
	@echo '  make status       chunks loaded, failed and pending per dataset, whether they are'
	@echo '                    published, and rows loaded; or why the markers do not apply to'
	@echo '                    this run'"'"'s database, table or download'
	@echo '  make summary      the summary of the last run'
	@echo '  make db-start     start the embedded PostgreSQL (creates it in $(WORK)/pg if missing)'
	@echo '  make db-stop      stop the embedded PostgreSQL'
	@echo '  make db-url       print the connection string, password replaced by ***; without'
	@echo '                    DATABASE_URL, it shows every PG* variable that names the target'
	@echo '  make psql         open psql on the database in use'
	@echo '  make clean        stop and delete the embedded PostgreSQL, and delete the files'
	@echo '                    that the stages wrote in $(WORK)'
	@echo '  make fmt | lint   format or check the Swift sources with swift format'
	@echo 'Variables (current value):'
	@echo '  DATASETS=$(DATASETS)'
	@echo '      datasets to load, separated by spaces, or all for the seven datasets'
	@echo '  SOURCE=$(value SOURCE)'
	@echo '      download URL, file:// URL or path; $$(dataset) stands for the dataset name;'
	@echo '      a dataset whose download came from another SOURCE is fetched and loaded again;'
	@echo "      without network: SOURCE='Tests/Fixtures/\$$(dataset).sample.tsv.gz'"
	@echo '  IMDB_BASE_URL=$(IMDB_BASE_URL)  where the default SOURCE downloads from'
	@echo '  CHUNK_ROWS=$(CHUNK_ROWS)  rows per chunk (1 to 100000000), used when a dataset is split'
	@echo '  LOAD_JOBS=$(LOAD_JOBS)  connections (0 to 64) that load chunks while split still writes them;'
	@echo '                0 loads them only after the split, one make job each'
	@echo '  MAX_REJECTS=$(MAX_REJECTS)  rows the server may reject per chunk (0 to 2147483647; empty: no limit)'
	@echo '  FETCH_OPTIONS=$(FETCH_OPTIONS)  extra fetch options, such as --retries 2 --stall-timeout 10'
	@echo '  WORK=$(WORK)  spool directory for downloads, chunks, markers and the embedded database'
	@echo '  NAME.table    table for dataset NAME (default NAME with . replaced by _)'
	@echo '  DATABASE_URL  external database; with PGHOST, PGHOSTADDR or PGSERVICE set'
	@echo '                instead, the tools use the PG* variables'
	@echo '  BENCH_ROWS=$(BENCH_ROWS) BENCH_RUNS=$(BENCH_RUNS) BENCH_SEED=$(BENCH_SEED)'
	@echo '                rows, runs per measurement and seed of make bench'
	@echo '  STAGELOAD_BIN directory of prebuilt tools; make then runs no swift build'
	@echo '  FAULT_ROUNDS=$(FAULT_ROUNDS)  rounds per fault in make test-faults'
	@echo '  FAULT_SEED=$(FAULT_SEED)  seed of the fault points (default: new for test-faults, 1 for test)'
	@echo 'Database now: $(DB_MODE)$(if $(DB_NAMED_BY), (named by $(DB_NAMED_BY)))'
