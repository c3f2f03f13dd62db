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

define split_rule
$(WORK)/chunks/$(1)/manifest.tsv: $(WORK)/download/$(1).tsv.gz | $(INFLATE) $(SPLIT)
	@mkdir -p $$(@D) $(WORK)/rejects/$(1)
	@rm -f $(WORK)/rejects/$(1)/load.tsv
	$(INFLATE) $$< | $(SPLIT) --dataset $(1) --rows $(CHUNK_ROWS) --out $$(@D) \
	  --rejects $(WORK)/rejects/$(1)/split.tsv
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call split_rule,$(dataset_name))))
