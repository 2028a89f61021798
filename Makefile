# Commissioner's developer and CI commands. `make help` lists them; nothing needs an activated venv.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
BIN := $(VENV)/bin
# Written after a successful install: the venv is rebuilt only when pyproject.toml is newer.
STAMP := $(VENV)/.installed-dev
# The official emnify SDK needs pydantic<2: a venv of its own, which only the tests use (tests/sdk/).
SDK_EMNIFY := $(VENV)/sdk/emnify
SDK_EMNIFY_STAMP := $(SDK_EMNIFY)/.installed
# The first of python3.11 and python3 that is at least 3.11 (evaluated only when the venv is built).
PYTHON ?= $(shell for p in python3.11 python3; do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)

# The services the integration tests expect (trust auth for user postgres, a database "test").
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_USER ?= postgres
PG_TEST_DB ?= test
REDIS_HOST ?= 127.0.0.1
REDIS_PORT ?= 6379
AMQP_HOST ?= 127.0.0.1
AMQP_PORT ?= 5672
SERVICES_TIMEOUT ?= 60

COMPOSE ?= $(shell command -v docker-compose >/dev/null 2>&1 && echo docker-compose || echo docker compose)
PYTEST_ARGS ?=

.PHONY: help venv run demo test services lint typecheck migrate migrations-check compose-check bench clean constraints secrets

help: ## List the targets
	@echo "usage: make TARGET"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) $(SDK_EMNIFY_STAMP) ## Create .venv and install the project with its dev extras at the pinned versions (constraints.txt), and the emnify SDK's venv

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "venv: no python3.11 (or python3 >= 3.11) on PATH" >&2; exit 1; }
	@test -x $(BIN)/python || { echo "venv: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@# The DC-09 transmitter the receiver's tests send with: it declares pycrypto, which no longer builds;
	@# pycryptodome (a dependency of pysiaalarm) provides the same Crypto package.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt dc09-spt
	@touch $@

$(SDK_EMNIFY_STAMP): tests/sdk/emnify-sdk.txt
	@test -n "$(PYTHON)" || { echo "venv: no python3.11 (or python3 >= 3.11) on PATH" >&2; exit 1; }
	@test -x $(SDK_EMNIFY)/bin/python || { echo "venv: creating $(SDK_EMNIFY) for the emnify SDK"; \
	  $(PYTHON) -m venv $(SDK_EMNIFY); }
	$(SDK_EMNIFY)/bin/python -m pip install --quiet --disable-pip-version-check -r tests/sdk/emnify-sdk.txt
	@touch $@

run: demo ## Same as demo

demo: venv ## Run the end-to-end demo on the embedded default (SQLite, simulator and worker started for you)
	$(BIN)/commissioner demo

test: venv services ## Run the whole test suite (unit and integration: needs PostgreSQL and Redis, see services)
	@$(BIN)/pytest -q $(PYTEST_ARGS) || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "test: pytest collected no tests, which counts as a failure" >&2; fi; \
	  exit $$rc; }

services: ## Make sure PostgreSQL, Redis and RabbitMQ are up on 127.0.0.1 (start local ones if installed), or fail
	@for tool in pg_isready psql createdb redis-cli; do \
	  command -v $$tool >/dev/null || { \
	    echo "services: $$tool not found: install postgresql-client and redis-tools" >&2; exit 1; }; \
	done
	@if ! pg_isready -q -h $(PG_HOST) -p $(PG_PORT); then \
	  if command -v pg_ctlcluster >/dev/null && [ -n "$$(ls /etc/postgresql 2>/dev/null)" ]; then \
	    version=$$(ls /etc/postgresql | sort -V | tail -n 1); \
	    echo "services: starting PostgreSQL $$version"; \
	    pg_ctlcluster --skip-systemctl-redirect $$version main start \
	      || echo "services: pg_ctlcluster could not start PostgreSQL $$version" >&2; \
	  else \
	    echo "services: PostgreSQL is not reachable and there is no local cluster to start" >&2; \
	  fi; \
	fi
	@if [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" != PONG ]; then \
	  if command -v redis-server >/dev/null; then \
	    echo "services: starting Redis"; \
	    mkdir -p /var/lib/redis /var/log/redis; \
	    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port $(REDIS_PORT) --save "" --appendonly no \
	      --dir /var/lib/redis --logfile /var/log/redis/ci.log \
	      || echo "services: redis-server could not start" >&2; \
	  else \
	    echo "services: Redis is not reachable and redis-server is not installed" >&2; \
	  fi; \
	fi
	@if ! (exec 3<>/dev/tcp/$(AMQP_HOST)/$(AMQP_PORT)) 2>/dev/null; then \
	  if command -v rabbitmq-server >/dev/null; then \
	    echo "services: starting RabbitMQ"; \
	    rabbitmq-server -detached || echo "services: rabbitmq-server could not start" >&2; \
	  else \
	    echo "services: RabbitMQ is not reachable and rabbitmq-server is not installed" >&2; \
	  fi; \
	fi
	@deadline=$$(( $$(date +%s) + $(SERVICES_TIMEOUT) )); \
	while :; do \
	  pg=down; redis=down; amqp=down; \
	  pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && pg=up; \
	  [ "$$(redis-cli -h $(REDIS_HOST) -p $(REDIS_PORT) ping 2>/dev/null)" = PONG ] && redis=up; \
	  (exec 3<>/dev/tcp/$(AMQP_HOST)/$(AMQP_PORT)) 2>/dev/null && amqp=up; \
	  [ $$pg = up ] && [ $$redis = up ] && [ $$amqp = up ] && break; \
	  if [ $$(date +%s) -ge $$deadline ]; then \
	    echo "services: after $(SERVICES_TIMEOUT)s, PostgreSQL at $(PG_HOST):$(PG_PORT) is $$pg," \
	      "Redis at $(REDIS_HOST):$(REDIS_PORT) is $$redis and RabbitMQ at $(AMQP_HOST):$(AMQP_PORT)" \
	      "is $$amqp; the integration tests need all three" >&2; \
	    exit 1; \
	  fi; \
	  sleep 1; \
	done
	@psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -d postgres -w -Atqc 'select 1' >/dev/null || { \
	  echo "services: cannot log in to PostgreSQL as $(PG_USER) without a password;" \
	    "the tests need trust auth on $(PG_HOST)" >&2; exit 1; }
	@psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -d postgres -w -Atqc \
	  "select 1 from pg_database where datname = '$(PG_TEST_DB)'" | grep -q 1 \
	  || createdb -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -w $(PG_TEST_DB)
	@echo "services: PostgreSQL ($(PG_HOST):$(PG_PORT), database $(PG_TEST_DB)), Redis ($(REDIS_HOST):$(REDIS_PORT))" \
	  "and RabbitMQ ($(AMQP_HOST):$(AMQP_PORT)) are up"

lint: venv ## Check the code with ruff (lint rules and formatting)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv ## Type-check the packages with mypy (configured in pyproject.toml)
	$(BIN)/mypy

migrate: venv ## Bring the configured database to the newest migration
	$(BIN)/commissioner db upgrade

migrations-check: venv services ## Upgrade a fresh SQLite and a fresh PostgreSQL database, then alembic check both
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	export COMMISSIONER_DATA_DIR="$$tmp" COMMISSIONER_DATABASE_URL="sqlite:///$$tmp/migrations-check.db"; \
	echo "migrations-check: SQLite ($$COMMISSIONER_DATABASE_URL)"; \
	$(BIN)/commissioner db upgrade; \
	$(BIN)/commissioner db check
	@tmp=$$(mktemp -d); db=commissioner_migrations_check_$$$$; \
	createdb -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -w "$$db"; \
	trap 'dropdb -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -w --if-exists "$$db"; rm -rf "$$tmp"' EXIT; \
	export COMMISSIONER_DATA_DIR="$$tmp" \
	  COMMISSIONER_DATABASE_URL="postgresql+psycopg://$(PG_USER)@$(PG_HOST):$(PG_PORT)/$$db" \
	  COMMISSIONER_ENCRYPTION_KEYS=$$($(BIN)/python -c "from cryptography.fernet import Fernet as F; print(F.generate_key().decode())") \
	  COMMISSIONER_WEB_SECRET=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))"); \
	echo "migrations-check: PostgreSQL ($$COMMISSIONER_DATABASE_URL)"; \
	$(BIN)/commissioner db upgrade; \
	$(BIN)/commissioner db check

# docker-compose.yml reads its keys from secret files (make secrets); config only checks the file is sound.
compose-check: venv ## Validate docker-compose.yml and the Procfile (docker-compose config, honcho check, strict parse)
	@command -v $(firstword $(COMPOSE)) >/dev/null || { \
	  echo "compose-check: docker-compose not found (apt-get install docker-compose)" >&2; exit 1; }
	$(COMPOSE) --env-file .env.example config -q
	$(BIN)/honcho check
	@# honcho accepts malformed lines; every line that is not blank or a comment must be "name: command".
	@awk '/^[[:space:]]*(#|$$)/ { next } \
	  !/^[A-Za-z0-9_-]+:[[:space:]]*[^[:space:]]/ { printf "Procfile:%d: not \"name: command\": %s\n", NR, $$0; bad = 1; next } \
	  { name = $$0; sub(/:.*/, "", name); n++; \
	    if (seen[name]++) { printf "Procfile:%d: process %s is defined twice\n", NR, name; bad = 1 } } \
	  END { if (!n) { print "Procfile: no processes"; bad = 1 }; exit bad }' Procfile
	@echo "compose-check: docker-compose.yml and Procfile are valid"

bench: venv ## Run the benchmarks (python -m bench), once there are any
	@if [ -f bench/__main__.py ]; then \
	  $(BIN)/python -m bench; \
	else \
	  echo "bench: no benchmarks yet (bench/__main__.py does not exist)"; \
	fi

clean: ## Remove caches and build artefacts (keeps .venv and the local data in var/)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

constraints: ## Re-pin constraints.txt to the newest versions pyproject.toml allows (then commit it)
	@rm -rf .venv-pin
	$(PYTHON) -m venv .venv-pin
	.venv-pin/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@{ echo "# Every dependency's version, for reproducible installs: make venv (CI) and the Dockerfile install"; \
	  echo "# with -c constraints.txt. Regenerate after changing pyproject.toml: make constraints."; \
	  .venv-pin/bin/python -m pip freeze --exclude-editable | grep -v '^commissioner'; } > constraints.txt
	@rm -rf .venv-pin
	@echo "constraints.txt re-pinned: make venv installs it"

secrets: ## Make ./secrets/encryption_keys and ./secrets/web_secret for docker-compose.yml (kept if present)
	@mkdir -p secrets && chmod 700 secrets
	@test -s secrets/encryption_keys || { umask 077; $(PYTHON) -c "import base64, os; \
print(base64.urlsafe_b64encode(os.urandom(32)).decode())" > secrets/encryption_keys; }
	@test -s secrets/web_secret || { umask 077; $(PYTHON) -c "import secrets; \
print(secrets.token_urlsafe(48))" > secrets/web_secret; }
	@echo "secrets/encryption_keys and secrets/web_secret are in place (back them up: API keys need them)"
