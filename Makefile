# 复工态势台 — two commands do all set-up on a fresh machine (python3 only; root apt for the browser test).
#   make run    serve the console on the sample database (built on first run): st.App + uvicorn, 127.0.0.1
#   make test   lint and run the whole test suite
#   make cluster   PostgreSQL + two app servers on one DuckLake + nginx, all on 127.0.0.1 (see README)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/sample.duckdb
PORT ?= 8501
CLUSTER_PORT ?= 8080
# Where the console listens. The sample (public demo passwords) only ever on 127.0.0.1; a real database may be
# served to the office network with ADDRESS=<this machine's intranet address> (README, "Serving a real database").
ADDRESS ?= 127.0.0.1

.PHONY: run test sample init browser postgres nginx cluster clean-sample

$(BIN)/.run-deps: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.dev-deps: requirements.txt requirements-dev.txt $(BIN)/.run-deps
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

sample: $(BIN)/.run-deps
	$(BIN)/python -m pipelines --db data/sample.duckdb sample --if-absent

run: $(BIN)/.run-deps
	@if [ "$(DB)" = "data/sample.duckdb" ]; then \
	  if [ "$(ADDRESS)" != "127.0.0.1" ]; then echo "示例数据库的密码是公开的：make run refuses ADDRESS=$(ADDRESS) for the sample (127.0.0.1 only)"; exit 2; fi; \
	  $(MAKE) --no-print-directory sample; \
	  elif [ ! -f "$(DB)" ]; then echo "数据库 $(DB) 不存在：先运行 make init DB=$(DB)"; exit 2; fi
	FUGONG_DB=$(DB) $(BIN)/python -m server --port $(PORT) --address $(ADDRESS)

init: $(BIN)/.run-deps
	$(BIN)/python -m pipelines --db $(DB) init

# Debian chromium + CJK fonts for the end-to-end browser tests (never `playwright install`: it downloads).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk) >/dev/null 2>&1 \
	    || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "warning: not root, chromium not installed; browser tests will be skipped"; fi; }

# Debian PostgreSQL (the DuckLake catalog; tests start a private server on their own port) and nginx (the
# cluster test and make cluster), installed like chromium when root.
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -q && apt-get install -y -q postgresql) >/dev/null 2>&1 \
	    || echo "warning: could not install postgresql; lake tests will be skipped"; \
	  else echo "warning: not root, postgresql not installed; lake tests will be skipped"; fi; }

nginx:
	@test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -q && apt-get install -y -q nginx) >/dev/null 2>&1 \
	    || echo "warning: could not install nginx; the cluster test will be skipped"; \
	  else echo "warning: not root, nginx not installed; the cluster test will be skipped"; fi; }

cluster: $(BIN)/.run-deps postgres nginx
	$(BIN)/python -m pipelines cluster --dir data/cluster --port $(CLUSTER_PORT)

test: $(BIN)/.dev-deps browser postgres nginx
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15 -n 2 --dist loadfile

clean-sample:
	rm -f data/sample.duckdb data/sample.duckdb.wal
	rm -rf data/sample
