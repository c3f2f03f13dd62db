# Reports: `make status`, which starts no database (it connects only to
# check the markers against the database in use), and the summary that
# `make` prints at the end.
#
# The summary counts a chunk as loaded by this run when its .ok marker is
# newer than $(RUN_STAMP), which `make` touches before it loads anything.

REPORT_SH := stages/report.sh
RUN_STAMP := $(WORK)/run.started
dataset_tables := $(foreach dataset_name,$(DATASETS),$(dataset_name)=$(call table_of,$(dataset_name)))
summary_arguments := $(WORK) $(RUN_STAMP) $(dataset_tables)

.PHONY: status summary

status:
	@$(REPORT_SH) status $(WORK) $(dataset_tables)

summary: | $(DB_READY)
	@$(REPORT_SH) summary $(summary_arguments)
