# Download stage: $(WORK)/download/NAME.tsv.gz from SOURCE.
#
# fetch writes FILE.part and renames it, so the target exists only when
# complete. SOURCE is expanded per dataset with $(dataset) set to its name,
# and quoted, so a URL with a query string reaches fetch whole. FETCH_OPTIONS
# goes to fetch as written.
#
# A finished download is kept until `make refresh` (REFRESH=1), which runs
# fetch again. For an HTTP source, fetch then sends the ETag and
# Last-Modified it stored in FILE.meta, and on 304 Not Modified leaves the
# file and its mtime alone, so nothing downstream runs. A changed file is
# split and loaded into a new staging table, which replaces the table when
# every chunk is in.
# NOTE: a file:// or path source has no such check: refresh copies it
# again and reloads it, changed or not.

.PHONY: refresh force-fetch
refresh:
	+@$(MAKE) --no-print-directory REFRESH=1 all

force-fetch:

define fetch_rule
$(WORK)/download/$(1).tsv.gz: dataset := $(1)
$(WORK)/download/$(1).tsv.gz: $(if $(REFRESH),force-fetch) | $(FETCH)
	@mkdir -p $$(@D)
	$(FETCH)$$(if $$(FETCH_OPTIONS), $$(FETCH_OPTIONS)) $$(call shell_quote,$$(SOURCE)) -o $$@
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call fetch_rule,$(dataset_name))))
