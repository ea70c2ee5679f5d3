# Thin wrappers around scripts/run, which does the whole setup itself.
.PHONY: demo test setup bench
demo:  ; bash scripts/run demo
test:  ; bash scripts/run test
setup: ; bash scripts/run setup
bench: ; bash scripts/run bench
