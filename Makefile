# ElohimOS: the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing first (Debian packages, as root; see scripts/install-deps.sh).

SWIFT ?= swift
ELOHIM := .build/debug/elohim
ARGS ?=

.PHONY: deps build run test protos clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build --product elohim

# Starts one node on ./.elohim (pass ARGS="--data-dir D --http HOST:PORT" to change).
run: build
	$(ELOHIM) node run $(ARGS)

# Every unit, property and process test, then the simulation suite.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	bash scripts/test-simulations.sh

# Regenerates Sources/Wire/Generated (mesh.proto) and Sources/Replicas/Generated (replicas.proto). The output is committed, so
# only someone changing the protocol needs protoc and protoc-gen-swift.
protos: deps
	$(SWIFT) build --product protoc-gen-swift
	protoc --plugin=protoc-gen-swift=.build/debug/protoc-gen-swift \
	  --swift_out=Sources/Wire/Generated --proto_path=Protocol Protocol/mesh.proto
	protoc --plugin=protoc-gen-swift=.build/debug/protoc-gen-swift \
	  --swift_out=Sources/Replicas/Generated --proto_path=Protocol Protocol/replicas.proto

clean:
	rm -rf .build
