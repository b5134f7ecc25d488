# cnfiscal: `docker run IMAGE` runs the pipeline on the bundled samples and publishes to /app/dist.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PREFECT_HOME=/app/.prefect
COPY . /app
# The same install as the Makefile's: pinned by constraints.txt, the checkout installed editable.
RUN python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
ENTRYPOINT ["cnfiscal"]
CMD ["run", "--out", "/app/dist/cnfiscal"]
