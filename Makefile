.PHONY: demo test

demo:  ## Run aap with the demo data (PACA 2018) at http://127.0.0.1:8000
	./scripts/demo

test:  ## Lint, then the whole test suite on SQLite and on PostgreSQL
	./scripts/test
