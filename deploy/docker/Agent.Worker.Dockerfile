# syntax=docker/dockerfile:1
# The worker: runs agent runs from RabbitMQ. The same image migrates the database and ingests the manual:
#   docker run IMAGE            (or: run)  the long-running worker
#   docker run IMAGE migrate               applies migrations, seeds the system assistants, exits
#   docker run IMAGE ingest                ingests /usr/share/doc/postgresql-doc-15/html into the collection
#                                          postgresql-15, exits (ingest --collection NAME --path DIR: your own)
# Build context is the repository root: docker build -f deploy/docker/Agent.Worker.Dockerfile .

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
# Restore from the project files alone first, so a source edit does not invalidate the package layer. The
# Directory.* files take part in restore (central package versions, analyzers) and global.json picks the SDK.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY Agent.Contracts/Agent.Contracts.csproj Agent.Contracts/
COPY Agent.Persistence/Agent.Persistence.csproj Agent.Persistence/
COPY Agent.Telemetry/Agent.Telemetry.csproj Agent.Telemetry/
COPY Agent.Worker/Agent.Worker.csproj Agent.Worker/
RUN dotnet restore Agent.Worker/Agent.Worker.csproj
COPY Agent.Contracts/ Agent.Contracts/
COPY Agent.Persistence/ Agent.Persistence/
COPY Agent.Telemetry/ Agent.Telemetry/
COPY Agent.Worker/ Agent.Worker/
RUN dotnet publish Agent.Worker/Agent.Worker.csproj -c Release --no-restore -p:UseAppHost=false -o /app

# The PostgreSQL 15 manual that `ingest` reads, from Debian 12's postgresql-doc-15: the package services.sh
# installs on a local machine, so both paths ingest the same pages. The .NET 10 images are Ubuntu 24.04, which
# does not package it. The .deb is unpacked rather than installed: slim Debian images tell dpkg to drop
# /usr/share/doc, and the package's files are all that is needed.
FROM debian:bookworm-slim AS manual
WORKDIR /tmp/manual
RUN apt-get update \
 && apt-get download postgresql-doc-15 \
 && dpkg-deb -x postgresql-doc-15_*.deb root \
 && test -f root/usr/share/doc/postgresql-doc-15/html/index.html

# aspnet rather than runtime: the same base layers as the API image, and room for health endpoints.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
COPY --from=manual /tmp/manual/root/usr/share/doc/postgresql-doc-15/html /usr/share/doc/postgresql-doc-15/html
WORKDIR /app
COPY --from=build /app ./
# The non-root user the .NET images define (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "Agent.Worker.dll"]
CMD ["run"]
