# One image for every Commissioner process (migrate, worker, beat, simulator); docker-compose.yml picks
# the command. Production dependencies only: no dev extras.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 commissioner \
    && useradd --system --uid 10001 --gid commissioner --home-dir /app --no-create-home commissioner

WORKDIR /app

# Dependencies first, from pyproject.toml and the pinned versions alone, so that a source change does
# not reinstall them; constraints.txt pins every version, so two builds of one commit agree.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres'] + p['optional-dependencies']['flower']))" \
    > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install -c constraints.txt ".[postgres,flower]" \
    && rm -rf build *.egg-info \
    && mkdir -p var \
    && chown commissioner:commissioner var

USER commissioner
CMD ["commissioner", "--help"]
