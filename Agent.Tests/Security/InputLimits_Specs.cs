using System.Text;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Tests.Security;

[TestFixture]
public sealed class When_configured_input_limits_are_applied
{
    private static readonly ApiLimits Tight = new()
    {
        MaxJsonDepth = 8, MaxMessages = 2, MaxMessageChars = 10, MaxMetadataBytes = 32, MaxRecursionLimit = 5,
    };

    [TestCase("""{"assistant_id":"agent","input":{"messages":[["user","a"],["user","b"],["user","c"]]}}""", "3 messages; at most 2")]
    [TestCase("""{"assistant_id":"agent","input":{"messages":[["user","eleven char"]]}}""", "11 characters long; at most 10")]
    [TestCase("""{"assistant_id":"agent","config":{"recursion_limit":6}}""", "between 1 and 5")]
    public void Should_refuse_a_run_over_a_configured_limit(string json, string reason)
    {
        var (request, error) = RunRequest.Parse(JsonNode.Parse(json)!.AsObject(), stateless: false, Tight);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(request, Is.Null);
            Assert.That(error, Does.Contain(reason));
        }
    }

    [Test]
    public void Should_accept_the_same_run_under_the_default_limits()
    {
        var (request, error) = RunRequest.Parse(
            JsonNode.Parse("""{"assistant_id":"agent","input":{"messages":[["user","eleven char"]]},"config":{"recursion_limit":6}}""")!.AsObject(),
            stateless: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(request!.RecursionLimit, Is.EqualTo(6));
        }
    }

    [TestCase("""{"metadata":{"k":"0123456789012345678901234567890123456789"}}""", 422, "at most 32 are accepted")]
    [TestCase("""{"metadata":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}}}""", 400, "depth")]
    [TestCase("""{"metadata":{"k":"ok"}}""", 200, null)]
    public async Task Should_bound_every_body_read_through_ApiRequest(string json, int status, string? reason)
    {
        var (body, error) = await ReadAsync(Encoding.UTF8.GetBytes(json));
        var (code, detail) = await RenderAsync(error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error is null ? 200 : code, Is.EqualTo(status));
            Assert.That(body is null, Is.EqualTo(error is not null));
            if (reason is not null)
            {
                Assert.That(detail, Does.Contain(reason));
            }
        }
    }

    [Test]
    public async Task Should_refuse_a_body_that_is_not_utf8_with_400()
    {
        var (_, error) = await ReadAsync([.. "{\"metadata\":{\"k\":\""u8.ToArray(), 0xC3, 0x28, .. "\"}}"u8.ToArray()]);
        var (code, detail) = await RenderAsync(error);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(code, Is.EqualTo(400));
            Assert.That(detail, Is.EqualTo("The request body is not valid UTF-8."));
        }
    }

    private static Task<(JsonObject? Body, IResult? Error)> ReadAsync(byte[] bytes)
    {
        var http = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(Options.Create(Tight)).BuildServiceProvider(),
        };
        http.Request.Body = new MemoryStream(bytes);
        return ApiRequest.ReadObjectAsync(http.Request, CancellationToken.None);
    }

    private static async Task<(int Status, string? Detail)> RenderAsync(IResult? result)
    {
        if (result is null)
        {
            return (200, null);
        }

        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        await result.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        var text = await new StreamReader(http.Response.Body).ReadToEndAsync();
        return (http.Response.StatusCode, JsonNode.Parse(text)?["detail"]?.GetValue<string>());
    }
}
