# Load stage: load each chunk in its own transaction into the staging table
# NAME_TABLE__staging, then publish it: build the primary key and swap it in
# as the table in one transaction, so readers never see a half-loaded table.
#
# The split rule (split.mk) makes table.ok together with the manifest: it
# creates a fresh staging table and loads the chunks into it as split
# writes them, so a new split always starts a new staging table. published.ok
# depends on every chunk's marker, so a failed chunk leaves the published
# table as it was.
#
# The chunk list exists only after the split, in chunks.mk, which defines
# NAME.chunks. So load-NAME first makes the manifest and the table, then runs
# a second make with CHUNKS_OF=NAME that includes chunks.mk and makes one
# marker per chunk, $(WORK)/loaded/NAME/000001.ok. Only that second make
# reads chunks.mk, so targets such as clean, db-stop and help never download
# or split anything. It gets -j and -k through MAKEFLAGS: chunks load in
# parallel, and with -k a failed chunk does not stop the others.
#
# When a chunk fails to load, its .failed file records the exit status and
# load's last message for `make status`, and the next run loads the chunk
# again. load's messages also go to CHUNK.log, which is kept only on failure.
# A chunk whose bytes no longer match its manifest entry (a disk error, an
# edit) is never loaded: load rejects it with status 65, and the recipe then
# deletes the manifest, so that the next run splits the download again.
#
# The markers hold only for one database and table: the split rule records
# them, as the server reports them, in $(WORK)/loaded/NAME/target
# (stages/markers.sh record), and before each load `make` deletes the
# markers of a dataset whose record differs from this run's target or whose
# table is missing from the database (stages/markers.sh check), so that the
# dataset loads again.

MARKERS_SH := stages/markers.sh

# The table for a dataset: NAME.table if set (make name.basics.table=people),
# otherwise the dataset name with '.' replaced by '_'.
table_of = $(or $($(1).table),$(subst .,_,$(1)))

# Table names reach the shell in recipes, so make accepts only letters,
# digits and underscores in them (load itself quotes any name, and rejects
# names over 49 bytes, whose derived staging names would not fit).
identifier_characters := a b c d e f g h i j k l m n o p q r s t u v w x y z \
  A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 _
strip_identifier_characters = $(strip $(eval _rest := $(1))$(foreach c,$(identifier_characters),$(eval _rest := $(subst $(c),,$(_rest))))$(_rest))
$(foreach dataset_name,$(DATASETS),$(if $(or $(filter-out 1,$(words $(call table_of,$(dataset_name)))),$(call strip_identifier_characters,$(call table_of,$(dataset_name)))),$(error invalid table name '$(call table_of,$(dataset_name))' for $(dataset_name); use letters, digits and underscores)))

# Two datasets cannot share a table: both would load into TABLE__staging,
# and each publish would replace the other's rows.
empty :=
space := $(empty) $(empty)
list_with_commas = $(subst $(space),$(comma) ,$(strip $(1)))
datasets_of_table = $(foreach dataset_name,$(sort $(DATASETS)),$(if $(filter $(1),$(call table_of,$(dataset_name))),$(dataset_name)))
$(foreach table,$(sort $(foreach dataset_name,$(DATASETS),$(call table_of,$(dataset_name)))),$(if $(word 2,$(call datasets_of_table,$(table))),$(error DATASETS: table '$(table)' would receive several datasets ($(call list_with_commas,$(call datasets_of_table,$(table)))); give each dataset its own table with NAME.table)))

# make -n only prints the fetch and the split, so the second make would find
# them still to do and print them again; -o (--assume-old) makes it skip them.
assume_split_done = $(if $(findstring n,$(make_letter_flags)),-o $(WORK)/chunks/$(1)/manifest.tsv \
  -o $(WORK)/loaded/$(1)/table.ok)

define load_rules
.PHONY: load-$(1)
load-$(1): $(WORK)/chunks/$(1)/manifest.tsv $(WORK)/loaded/$(1)/table.ok
	+@$(MAKE) --no-print-directory CHUNKS_OF=$(1) REFRESH= $(call assume_split_done,$(1)) load-chunks
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call load_rules,$(dataset_name))))

.PHONY: load load-chunks
load: $(addprefix load-,$(DATASETS))

ifdef CHUNKS_OF
chunk_list := $(WORK)/chunks/$(CHUNKS_OF)/chunks.mk
dry_run := $(findstring n,$(make_letter_flags))

ifneq ($(wildcard $(chunk_list)),)
include $(chunk_list)
ifeq ($(origin $(CHUNKS_OF).chunks),undefined)
$(error $(chunk_list) does not define $(CHUNKS_OF).chunks; delete $(WORK)/chunks/$(CHUNKS_OF) and run make again)
endif
else ifneq ($(dry_run),)
# make -n did not run the split, so the chunks are not known yet.
$(info make -n: the chunks of $(CHUNKS_OF) are known only after the split)
else
$(error $(chunk_list) not found, although the split finished; delete $(WORK)/chunks/$(CHUNKS_OF) and run make again)
endif

chunk_dir := $(WORK)/chunks/$(CHUNKS_OF)
marker_dir := $(WORK)/loaded/$(CHUNKS_OF)
load_chunk = $(LOAD) --dataset $(CHUNKS_OF) --table $(call table_of,$(CHUNKS_OF)) --staging \
  --rejects $(WORK)/rejects/$(CHUNKS_OF)/load.tsv $(if $(MAX_REJECTS),--max-rejects $(MAX_REJECTS) )$<

chunk_markers := $(patsubst %,$(marker_dir)/%.ok,$($(CHUNKS_OF).chunks))
# The recipe does nothing, but without one make prints "Nothing to be done
# for 'load-chunks'" when it runs no command for the dataset: on a rerun
# with an external database, which has no db-ready step.
load-chunks: $(marker_dir)/published.ok
	@:

publish = $(LOAD) --dataset $(CHUNKS_OF) --table $(call table_of,$(CHUNKS_OF)) --publish \
  --rejects $(WORK)/rejects/$(CHUNKS_OF)/load.tsv

# A failed publish leaves published.failed, as a failed chunk leaves its
# .failed file, so that `make status` can tell a publish that a rerun may
# finish from one that load refused because of the data (status 65).
$(marker_dir)/published.ok: $(chunk_markers) | $(LOAD) $(DB_READY)
	@rm -f $(@:.ok=.failed)
	$(if $(findstring s,$(make_letter_flags)),,@echo '$(publish)')
	@{ $(publish) 2>&1 1>&3 | tee $(@:.ok=.log) >&2; } 3>&1 || { status=$$?; \
	  { echo "load exited with status $$status"; tail -n 1 $(@:.ok=.log); } > $(@:.ok=.failed); \
	  exit $$status; }; rm -f $(@:.ok=.log)
	@touch $@

# Succeeds when the chunk $< has the SHA-256 that the manifest lists for it.
chunk_matches_manifest = awk -F '\t' -v chunk=$(notdir $<) \
  -v sha256="$$(sha256sum < $< | cut -d ' ' -f 1)" \
  '$$1 == chunk && $$4 == sha256 { found = 1 } END { exit !found }' $(chunk_manifest)
chunk_manifest := $(chunk_dir)/manifest.tsv

# The marker depends on the chunk file, so a chunk that a new split rewrote
# is loaded again. The command is echoed, unless make -s, without its failure
# handling.
$(marker_dir)/%.ok: $(chunk_dir)/%.copy | $(marker_dir)/table.ok $(LOAD) $(DB_READY)
	@rm -f $(@:.ok=.failed)
	$(if $(findstring s,$(make_letter_flags)),,@echo '$(load_chunk)')
	@{ $(load_chunk) 2>&1 1>&3 | tee $(@:.ok=.log) >&2; } 3>&1 || { status=$$?; \
	  { echo "load exited with status $$status"; tail -n 1 $(@:.ok=.log); } > $(@:.ok=.failed); \
	  if ((status == 65)) && [[ -f $(chunk_manifest) ]] && ! $(chunk_matches_manifest); then \
	    rm -f $(chunk_manifest); \
	    echo "make: $<: chunk does not match its manifest entry; deleted $(chunk_manifest), so the next make splits $(CHUNKS_OF) again" >&2; \
	  fi; \
	  exit $$status; }; rm -f $(@:.ok=.log)
	@touch $@
endif
