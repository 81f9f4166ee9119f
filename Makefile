# pgwarden - PostgreSQL backup and automatic recovery sidecars.
#   make            build every binary into build/
#   make asan       the same with AddressSanitizer + UBSan into build-asan/
#   make test       unit tests (normal + sanitizer build) and bats end-to-end
#   make run        the whole system locally (PostgreSQL + three sidecars)
#   make deps       install the Debian packages the build and tests need
#   make format     clang-format everything; make format-check verifies
#   make chaos      the fault-injection soak (CHAOS_SECONDS, default 1200)

CC      ?= gcc
PG_INC  := $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
OPTFLAGS ?= -O2 -g
CFLAGS  := $(OPTFLAGS) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wno-missing-field-initializers -Wno-format-truncation -pthread \
           -I$(PG_INC) -Icommon
LDLIBS  := -Wl,--as-needed -lpq -ldeflate -lz -liniparser -lcrypto -ldl -pthread

BUILD   ?= build
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
SIDECARS   := monitor backupper restorer dbcheck
BINS := $(SIDECARS:%=$(BUILD)/pgwarden-%) $(BUILD)/pgwarden $(BUILD)/pgwarden-db
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

DEPS := build-essential pkg-config libpq-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev \
        libiniparser-dev libssl-dev bats postgresql postgresql-contrib \
        clang-format jq procps util-linux valgrind time pigz bc \
        python3 python3-yaml curl ca-certificates clang libclang-rt-14-dev

.PHONY: all asan test unit-test bats-test run deps format format-check clean bench fuzz chaos

all: $(BINS) $(UNIT_BINS)

$(BUILD)/%.o: %.c $(wildcard common/*.h) $(wildcard sidecars/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# rebuilt whole, so an object whose source is gone does not linger in it
$(BUILD)/libpgwarden.a: $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

define sidecar_rule
$(BUILD)/pgwarden-$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard sidecars/$(1)/*.c)) $(BUILD)/libpgwarden.a
	$$(CC) $$(CFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SIDECARS),$(eval $(call sidecar_rule,$(s))))

$(BUILD)/pgwarden: $(patsubst %.c,$(BUILD)/%.o,$(wildcard sidecars/cli/*.c)) $(BUILD)/libpgwarden.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/pgwarden-db: $(patsubst %.c,$(BUILD)/%.o,$(wildcard sidecars/dbsupervisor/*.c)) $(BUILD)/libpgwarden.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# unit tests may link the sidecar logic they test (everything but main.c)
SIDECAR_LIB_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(filter-out %/main.c,$(wildcard sidecars/*/*.c)))
$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(SIDECAR_LIB_OBJ) $(BUILD)/libpgwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -Isidecars -o $@ $< $(SIDECAR_LIB_OBJ) $(BUILD)/libpgwarden.a $(LDLIBS)

asan:
	$(MAKE) BUILD=build-asan OPTFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" all

unit-test: all asan
	tests/run-unit.sh build build-asan

bats-test: all
	tests/run-bats.sh

test: all asan
	tests/run-all.sh

run: all
	config/run-local.sh

# the chaos soak (tests/chaos/): faults in a seeded random order for
# CHAOS_SECONDS under load, then the invariant table; make test runs a short one
CHAOS_SECONDS ?= 1200
CHAOS_SEED ?= 1
chaos: all
	python3 tests/chaos/chaos.py --duration $(CHAOS_SECONDS) --seed $(CHAOS_SEED)
	python3 tests/chaos/chaos.py --physical --duration $(CHAOS_SECONDS) --seed $(CHAOS_SEED)

# libFuzzer harnesses (tests/fuzz/), FUZZ_SECONDS each; make test runs 10 s
FUZZ_SECONDS ?= 60
fuzz:
	tests/run-fuzz.sh $(FUZZ_SECONDS)

bench: all
	bench/backup.sh
	bench/basebackup.sh
	bench/archlag.sh

deps:
	@if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	$$SUDO apt-get update && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $(DEPS)

FORMAT_FILES = $(wildcard common/*.[ch] sidecars/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch])
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format ok"

clean:
	rm -rf build build-asan build-fuzz
