# Download stage: $(WORK)/download/NAME.tsv.gz from SOURCE.
#
# fetch writes FILE.part and renames it, so the target exists only when
# complete. SOURCE is expanded per dataset with $(dataset) set to its name.

define fetch_rule
$(WORK)/download/$(1).tsv.gz: dataset := $(1)
$(WORK)/download/$(1).tsv.gz: | $(FETCH)
	@mkdir -p $$(@D)
	$(FETCH) $$(SOURCE) -o $$@
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call fetch_rule,$(dataset_name))))
