using Microsoft.AspNetCore.Routing;

namespace Cordon.Tests.Infra;

/// <summary>The published API contract (docs/openapi.json) is what both hosts serve and covers every route they map.</summary>
public sealed class OpenApiDocumentTests
{
    /// <summary>Local-only pages and tools (outbox, simulated client systems, development sign-in), not part of the public API.</summary>
    static readonly string[] LocalOnly = ["/", "/outbox", "/api/outbox", "/sim/", "/.auth/"];

    static JsonObject Committed() => JsonNode.Parse(File.ReadAllText(Repo.Path("docs/openapi.json")))!.AsObject();

    static bool Documents(JsonObject doc, string method, string path) =>
        doc["paths"]![path] is JsonObject item && item.ContainsKey(method.ToLowerInvariant());

    [Fact]
    public async Task The_served_document_is_the_committed_one_and_needs_no_sign_in()
    {
        await using TestHost host = await TestHost.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = host.Host.BaseAddress };

        HttpResponseMessage response = await anonymous.GetAsync("/api/openapi.json");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        JsonNode served = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True(JsonNode.DeepEquals(Committed(), served), "GET /api/openapi.json differs from docs/openapi.json");
        Assert.StartsWith("3.", (string)served["openapi"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_route_the_local_host_maps_is_documented()
    {
        JsonObject doc = Committed();
        await using TestHost host = await TestHost.StartAsync();
        var routes = host.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (Method: m, Path: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Where(r => !LocalOnly.Any(l => l.EndsWith('/') && l != "/" ? r.Path.StartsWith(l, StringComparison.Ordinal) : r.Path == l))
            .ToList();

        Assert.Contains(routes, r => r.Path == "/api/alerts");
        Assert.All(routes, r => Assert.True(Documents(doc, r.Method, r.Path), $"{r.Method} {r.Path} is mapped by the local host but not in docs/openapi.json"));
    }

    [Fact]
    public void Every_http_function_of_the_functions_app_is_documented()
    {
        JsonObject doc = Committed();
        string path = Directory.GetFiles(Repo.Path("Functions/bin"), "functions.metadata", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).First();
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllText(path));
        var routes = metadata.RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            .SelectMany(b => b.GetProperty("methods").EnumerateArray().Select(m => (Method: m.GetString()!, Path: "/api/" + b.GetProperty("route").GetString())))
            .ToList();

        Assert.NotEmpty(routes);
        Assert.All(routes, r => Assert.True(Documents(doc, r.Method, r.Path), $"{r.Method} {r.Path} is a Functions route but not in docs/openapi.json"));
    }
}
