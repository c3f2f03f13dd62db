# Split stage: $(WORK)/chunks/NAME/ from the download, through inflate | split.
# Rows that fail validation go to $(WORK)/rejects/NAME/split.tsv, with their
# line number and the reason, and the split goes on. The rows that the server
# rejected from the previous split's chunks (load.tsv) are deleted with them.
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
# make fetches it again instead of failing the same way. The pipe is echoed
# without this handling, unless make -s.
split_pipe = $(INFLATE) $< | $(SPLIT) --dataset $(dataset) --rows $(CHUNK_ROWS) --out $(@D) \
  --rejects $(WORK)/rejects/$(dataset)/split.tsv
split_status = statuses=("$${PIPESTATUS[@]}"); \
  if ((statuses[0] > 128 && statuses[0] != 130)); then \
    echo "make: inflate $<: killed by signal $$((statuses[0] - 128)); run make again" >&2; \
    exit $${statuses[0]}; \
  fi; \
  if ((statuses[0] == 65)); then \
    rm -f $< $<.meta; \
    echo "make: removed the damaged download $<; run make again to fetch it again" >&2; \
  fi; \
  exit $$((statuses[1] != 0 ? statuses[1] : statuses[0]))

define split_rule
$(WORK)/chunks/$(1)/manifest.tsv: dataset := $(1)
$(WORK)/chunks/$(1)/manifest.tsv: $(WORK)/download/$(1).tsv.gz | $(INFLATE) $(SPLIT)
	@mkdir -p $$(@D) $(WORK)/rejects/$(1)
	@rm -f $(WORK)/rejects/$(1)/load.tsv
	$$(if $$(findstring s,$$(make_letter_flags)),,@echo '$$(split_pipe)')
	@$$(split_pipe) || { $$(split_status); }
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call split_rule,$(dataset_name))))
