using Microsoft.AspNetCore.Mvc;

namespace Cordon.Monitoring;

/// <summary>
/// GET /api/openapi.json: the OpenAPI 3 document of the public HTTP API. The document is docs/openapi.json,
/// embedded at build time, so what is served is exactly what the repository publishes.
/// </summary>
public sealed class OpenApiDocument
{
    /// <summary>The HTTP route (under /api), declared once for the Functions host and the local host.</summary>
    public const string Route = "openapi.json";

    static readonly Lazy<string> Document = new(() =>
    {
        using Stream stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("openapi.json")
            ?? throw new InvalidOperationException("the embedded openapi.json is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Json => Document.Value;

    [Function("OpenApiDocument")]
    public IActionResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request) =>
        new ContentResult { StatusCode = StatusCodes.Status200OK, ContentType = "application/json; charset=utf-8", Content = Json };
}
