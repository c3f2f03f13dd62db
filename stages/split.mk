# Split stage: $(WORK)/chunks/NAME/ from the download, through inflate | split.
# Rows that fail validation go to $(WORK)/rejects/NAME/split.tsv, with their
# line number and the reason, and the split goes on. The rows that the server
# rejected from the previous split's chunks (load.tsv) are deleted with them.
#
# The chunks start loading while split still writes the later ones: split
# --list-chunks prints each finished chunk's manifest line, and load
# --manifest - loads it at once on LOAD_JOBS connections into a fresh
# staging table, which the rule creates first; table.ok, the rule's second
# target, marks it. This early load is only a head start: the load stage's chunk
# rules then find those chunks in the ledger and skip them, and they load,
# retry and report any chunk that the early load missed or failed on. So
# the rule ignores load's exit status; load reads its input to the end even
# after a failure, and split stops only its list, not its chunks, when load
# dies (as by SIGKILL), so that split is never cut off. LOAD_JOBS=0 turns the
# early load off, leaving every chunk to the load stage. A new split makes the
# markers of the previous one in $(WORK)/loaded/NAME void, so they are
# deleted first. The database and table of the new ones are recorded once
# load --create has reached the database, so that an unreachable one gets
# load's connection error and no record.
#
# split writes the chunks, then chunks.mk, then manifest.tsv, so the manifest
# is the target. pipefail makes a failed inflate fail the rule even when split
# saw a clean end of input, and .DELETE_ON_ERROR then removes that manifest.
# CHUNK_ROWS applies when a dataset is split; make does not split it again
# when CHUNK_ROWS changes.

# A signal that kills inflate, such as SIGKILL, cuts split's input short:
# split may then fail too, blaming the input, and inflate prints nothing.
# So the pipe then exits with inflate's status and says in one line what
# happened. Otherwise its status is split's, or inflate's when only inflate
# failed, as with pipefail; an inflate that fails because split stopped
# reading (broken pipe) must not hide split's own error. 130 is a tool's
# own exit after SIGINT, which it reports itself. When inflate finds the
# gzip corrupt or truncated (65), the download is deleted, so that the next
# make fetches it again instead of failing the same way.
# A download that does not start with the gzip magic bytes 1f 8b came from
# a wrong SOURCE, and fetching it again would fetch the same file. So the
# rule checks those two bytes first and, when they differ, runs only
# inflate, which names the problem, keeps the download, deletes the old
# manifest and says to check SOURCE. split never runs, so it cannot add a
# misleading "empty input" error.
# NOTE: a gzip file damaged inside its first block makes inflate fail
# before it writes a byte, and split then still reports empty input after
# inflate's error. When split alone
# rejects the input (65), as when its header is another dataset's, the
# download is kept and make says what to check; inflate then ends with 0,
# or with 74 when split stopped reading before inflate had written all. split names its input after
# the download in messages. The pipe is echoed without this handling,
# unless make -s.
early_load = $(filter-out 0,$(LOAD_JOBS))
split_pipe = $(INFLATE) $< | $(SPLIT) --dataset $(dataset) --rows $(CHUNK_ROWS) --out $(WORK)/chunks/$(dataset) \
  --rejects $(WORK)/rejects/$(dataset)/split.tsv --input-name $<$(if $(early_load), --list-chunks \
  | $(LOAD) --dataset $(dataset) --table $(call table_of,$(dataset)) --staging --quiet \
  --rejects $(WORK)/rejects/$(dataset)/load.tsv --jobs $(LOAD_JOBS) --manifest -$(if $(MAX_REJECTS), \
  --max-rejects $(MAX_REJECTS)))
# When split and load both succeeded, every chunk in the manifest is in the
# ledger, so the rule writes the chunks' .ok markers itself, and the load
# stage goes straight to publishing.
mark_loaded_chunks = awk -F '\t' -v dir=$(WORK)/loaded/$(dataset) \
  'NR > 1 { sub(/\.copy$$/, "", $$1); print dir "/" $$1 ".ok" }' \
  $(WORK)/chunks/$(dataset)/manifest.tsv | xargs -r touch
create_staging = $(LOAD) --dataset $(dataset) --table $(call table_of,$(dataset)) --staging --create
split_status = statuses=("$${PIPESTATUS[@]}"); \
  if ((statuses[0] > 128 && statuses[0] != 130)); then \
    echo "make: inflate $<: killed by signal $$((statuses[0] - 128)); run make again" >&2; \
    exit $${statuses[0]}; \
  fi; \
  if ((statuses[0] == 65)); then \
    rm -f $< $<.meta $<.source; \
    echo "make: removed the damaged download $<; run make again to fetch it again" >&2; \
  elif ((statuses[1] == 65 && (statuses[0] == 0 || statuses[0] == 74))); then \
    echo "make: $<: not a valid $(dataset) file; check SOURCE and DATASETS (a changed SOURCE is fetched again), or run make refresh if the file at SOURCE has been fixed" >&2; \
  fi; \
  exit $$((statuses[1] != 0 ? statuses[1] : statuses[0]))

not_gzip = [[ $$(head -c 2 $< | od -A n -t x1 | tr -d ' \n') != 1f8b ]]
reject_not_gzip = if $(not_gzip); then \
    rm -f $(WORK)/chunks/$(dataset)/manifest.tsv; \
    $(INFLATE) --test $< || status=$$?; \
    echo "make: $<: not a gzip file, so SOURCE names the wrong file; check SOURCE (a changed SOURCE is fetched again), or run make refresh if the file at SOURCE has been fixed" >&2; \
    exit $${status:-65}; \
  fi

define split_rule
$(WORK)/chunks/$(1)/manifest.tsv $(WORK)/loaded/$(1)/table.ok: dataset := $(1)
$(WORK)/chunks/$(1)/manifest.tsv $(WORK)/loaded/$(1)/table.ok &: $(WORK)/download/$(1).tsv.gz | $(INFLATE) $(SPLIT) $(LOAD) $(DB_READY)
	@$$(reject_not_gzip)
	@mkdir -p $(WORK)/chunks/$(1) $(WORK)/rejects/$(1) $(WORK)/loaded/$(1)
	@rm -f $(WORK)/rejects/$(1)/load.tsv $(WORK)/loaded/$(1)/*
	$$(create_staging)
	@$$(MARKERS_SH) record $(WORK) $(1) $$(call table_of,$(1))
	$$(if $$(findstring s,$$(make_letter_flags)),,@echo '$$(split_pipe)')
	@$$(split_pipe)$$(if $$(early_load), && $$(mark_loaded_chunks)) || { $$(split_status); }
	@touch $(WORK)/loaded/$(1)/table.ok
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call split_rule,$(dataset_name))))
