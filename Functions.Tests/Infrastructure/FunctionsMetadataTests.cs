namespace Cordon.Tests;

/// <summary>
/// `func` cannot run here, so the Functions wiring is checked through the functions.metadata the
/// Worker SDK generates: every task the local host registers has its trigger, and the HTTP routes match.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FunctionsMetadataTests
{
    static List<(string Name, string Trigger, string? Route, string[] Methods)> Functions()
    {
        string path = Directory.GetFiles(Repo.Path("Functions/bin"), "functions.metadata", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(f =>
        {
            JsonElement trigger = f.GetProperty("bindings").EnumerateArray().First(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            return (f.GetProperty("name").GetString()!, trigger.GetProperty("type").GetString()!,
                trigger.TryGetProperty("route", out JsonElement r) ? r.GetString() : null,
                trigger.TryGetProperty("methods", out JsonElement m) ? m.EnumerateArray().Select(x => x.GetString()!).ToArray() : []);
        }).ToList();
    }

    [Fact]
    public void Intake_needs_a_key_operator_functions_sit_behind_sign_in_and_approval_pages_are_open()
    {
        string path = Directory.GetFiles(Repo.Path("Functions/bin"), "functions.metadata", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var levels = doc.RootElement.EnumerateArray()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger")
                .Select(b => (Name: f.GetProperty("name").GetString()!, Level: b.GetProperty("authLevel").GetString()!, Route: b.GetProperty("route").GetString()!)))
            .ToList();

        // Alert producers hold a function key (or use Service Bus): no user signs in for intake.
        Assert.Equal(["SubmitAlert", "SubmitTelemetry"], levels.Where(l => l.Level == "Function").Select(l => l.Name).Order());
        // Every other route is anonymous to the Functions host: approval links (the link is the credential), the
        // published contract, and the operator routes, which App Service Authentication guards (InfraTemplateTests)
        // and which check the signed-in principal themselves (OperatorSignInTests).
        Assert.All(levels.Where(l => l.Level != "Function"), l => Assert.Equal("Anonymous", l.Level));
        Assert.All(levels.Where(l => l.Level == "Anonymous"), l => Assert.True(
            l.Route.StartsWith("approvals/", StringComparison.Ordinal) || l.Route.StartsWith("incidents", StringComparison.Ordinal) ||
            l.Route.StartsWith("dashboard", StringComparison.Ordinal) || l.Route is "openapi.json" or "health", $"{l.Name} ({l.Route}) is anonymous"));
    }

    [Fact]
    public void Every_registered_orchestrator_and_activity_has_its_trigger_in_functions_metadata()
    {
        var functions = Functions();

        Assert.Equal(CordonTasks.Orchestrators.Select(t => t.Name).Order(), functions.Where(f => f.Trigger == "orchestrationTrigger").Select(f => f.Name).Order());
        Assert.Equal(CordonTasks.Activities.Select(t => t.Name).Order(), functions.Where(f => f.Trigger == "activityTrigger").Select(f => f.Name).Order());
    }

    [Fact]
    public void Http_functions_declare_the_documented_routes()
    {
        var http = Functions().Where(f => f.Trigger == "httpTrigger").Select(f => $"{string.Join(",", f.Methods).ToUpperInvariant()} {f.Route}").Order().ToList();

        Assert.Equal(
            new[] { "GET approvals/{token}", "GET incidents", "GET incidents/{id}", "POST alerts", "POST approvals/{token}", "POST incidents/{id}/actions",
                "GET dashboard", "GET dashboard/incidents/{id}", "GET incidents/{id}/evidence", "POST telemetry", "GET health", "GET openapi.json" }.Order(),
            http);
    }
}
