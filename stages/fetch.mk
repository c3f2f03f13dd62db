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
#
# After each fetch, FILE.source records the SOURCE that the file came from.
# When a later run's SOURCE differs, make fetches the dataset again, as
# refresh would, and deletes FILE.meta first, so that the old source's
# ETag cannot make fetch keep the old file. A download without FILE.source
# is kept, because make cannot tell where it came from.

.PHONY: refresh force-fetch
refresh:
	+@$(MAKE) --no-print-directory REFRESH=1 all

force-fetch:

# The SOURCE of dataset $(1): $(SOURCE) with $(dataset) set to $(1), and a
# plain path made absolute, so that two spellings of one path compare equal.
source_of = $(foreach dataset,$(1),$(if $(findstring ://,$(SOURCE)),$(SOURCE),$(abspath $(SOURCE))))

# With the default SOURCE, a fetch that cannot reach IMDb's site (69: unknown
# host, 75: network failure after the retries) adds a line on loading the
# excerpts bundled in Tests/Fixtures instead, which needs no network.
fetch_command = $(FETCH)$(if $(FETCH_OPTIONS), $(FETCH_OPTIONS)) $(call shell_quote,$(SOURCE)) -o $@
offline_hint = status=$$?; \
  if ((status == 69 || status == 75)); then \
    echo "make: $(IMDB_BASE_URL) is out of reach; without network, make SOURCE='Tests/Fixtures/\$$(dataset).sample.tsv.gz' loads the excerpts bundled with stageload" >&2; \
  fi; \
  exit $$status

define fetch_rule
$(WORK)/download/$(1).tsv.gz: dataset := $(1)
source_changed.$(1) :=
ifneq ($$(wildcard $(WORK)/download/$(1).tsv.gz),)
ifneq ($$(wildcard $(WORK)/download/$(1).tsv.gz.source),)
ifneq ($$(file <$(WORK)/download/$(1).tsv.gz.source),$$(call source_of,$(1)))
source_changed.$(1) := 1
endif
endif
endif
$(WORK)/download/$(1).tsv.gz: $$(if $(REFRESH)$$(source_changed.$(1)),force-fetch) | $(FETCH)
	@mkdir -p $$(@D)
	$$(if $$(source_changed.$(1)),@echo $$(call shell_quote,make: $(1): SOURCE changed from $$(file <$$@.source) to $$(call source_of,$(1)); fetching $$@ again and reloading $(1)); rm -f $$@.meta)
	$$(if $$(findstring s,$$(make_letter_flags)),,@echo $$(call shell_quote,$$(fetch_command)))
	@$$(fetch_command)$$(if $$(filter file,$$(origin SOURCE)), || { $$(offline_hint); })
	@printf '%s\n' $$(call shell_quote,$$(call source_of,$(1))) > $$@.source.part && mv -f $$@.source.part $$@.source
endef

$(foreach dataset_name,$(DATASETS),$(eval $(call fetch_rule,$(dataset_name))))
