# syntax=docker/dockerfile:1
# The API: the LangGraph Server API over HTTP on port 8123.
# Build context is the repository root: docker build -f deploy/docker/Agent.Api.Dockerfile .

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
# Restore from the project files alone first, so a source edit does not invalidate the package layer. The
# Directory.* files take part in restore (central package versions, analyzers) and global.json picks the SDK.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY Agent.Contracts/Agent.Contracts.csproj Agent.Contracts/
COPY Agent.Persistence/Agent.Persistence.csproj Agent.Persistence/
COPY Agent.Telemetry/Agent.Telemetry.csproj Agent.Telemetry/
COPY Agent.Api/Agent.Api.csproj Agent.Api/
RUN dotnet restore Agent.Api/Agent.Api.csproj
COPY Agent.Contracts/ Agent.Contracts/
COPY Agent.Persistence/ Agent.Persistence/
COPY Agent.Telemetry/ Agent.Telemetry/
COPY Agent.Api/ Agent.Api/
RUN dotnet publish Agent.Api/Agent.Api.csproj -c Release --no-restore -p:UseAppHost=false -o /app

# .NET 10 images are Ubuntu 24.04; the tag names it so the apt line below stays valid.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
# curl is for the healthcheck in docker-compose.yml (GET /ok): the image has no HTTP client.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS=8123
EXPOSE 8123
# The non-root user the .NET images define (uid 1654).
USER $APP_UID
ENTRYPOINT ["dotnet", "Agent.Api.dll"]
