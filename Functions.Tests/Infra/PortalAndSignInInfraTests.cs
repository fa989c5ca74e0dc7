using System.Text.RegularExpressions;

namespace Cordon.Tests.Infra;

/// <summary>
/// The Bicep signs operators in (App Service Authentication with Entra ID, app roles from the repository) and
/// deploys the portal (workbook, log alert rules mailing the operators), wired to what the app really emits.
/// </summary>
public sealed partial class PortalAndSignInInfraTests(BicepTemplateFixture bicep) : IClassFixture<BicepTemplateFixture>
{
    static string Str(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    JsonElement RootVariableElement(string name) =>
        JsonDocument.Parse(bicep.Build.StdOut).RootElement.GetProperty("variables").GetProperty(name).Clone();

    JsonElement ModuleVariable(string deployment, string name) =>
        bicep.Deployment(deployment).GetProperty("properties").GetProperty("template").GetProperty("variables").GetProperty(name);

    [Fact]
    public void Easy_auth_requires_an_entra_id_sign_in_except_for_intake_approval_links_health_and_the_contract()
    {
        TemplateResource auth = Assert.Single(bicep.OfType("Microsoft.Web/sites/config"), r => Str(r.Json, "name").Contains("authsettingsV2", StringComparison.Ordinal));
        JsonElement p = auth.Json.GetProperty("properties");
        Assert.True(p.GetProperty("platform").GetProperty("enabled").GetBoolean());
        JsonElement global = p.GetProperty("globalValidation");
        Assert.True(global.GetProperty("requireAuthentication").GetBoolean());
        Assert.Equal("RedirectToLoginPage", Str(global, "unauthenticatedClientAction"));
        JsonElement aad = p.GetProperty("identityProviders").GetProperty("azureActiveDirectory");
        Assert.True(aad.GetProperty("enabled").GetBoolean());
        Assert.Equal("[parameters('operatorsClientId')]", Str(aad.GetProperty("registration"), "clientId"));
        Assert.Equal("[parameters('operatorsClientId')]", bicep.Deployment("function-app").GetProperty("properties").GetProperty("parameters").GetProperty("operatorsClientId").GetProperty("value").GetString());
        Assert.True(p.GetProperty("httpSettings").GetProperty("requireHttps").GetBoolean());

        // Excluded paths: the module's parameter, given main.bicep's list.
        Assert.Equal("[parameters('anonymousPaths')]", Str(global, "excludedPaths"));
        Assert.Equal("[variables('anonymousPaths')]", bicep.Deployment("function-app").GetProperty("properties").GetProperty("parameters").GetProperty("anonymousPaths").GetProperty("value").GetString());
        string[] excluded = RootVariableElement("anonymousPaths").EnumerateArray().Select(e => e.GetString()!).ToArray();
        bool Excluded(string path) => excluded.Any(x => x.EndsWith("/*", StringComparison.Ordinal) ? path.StartsWith(x[..^1], StringComparison.Ordinal) : path == x);

        Assert.True(Excluded("/api/alerts") && Excluded("/api/telemetry"), "intake keeps its function key and needs no user");
        Assert.True(Excluded("/api/approvals/eyJhbGciOi.sig"), "approval links stay login-free");
        Assert.True(Excluded("/api/health") && Excluded("/api/openapi.json"));
        foreach (string guarded in new[] { "/api/incidents", "/api/incidents/inc-1a2b3c4d5e6f-1", "/api/incidents/inc-1a2b3c4d5e6f-1/actions", "/api/incidents/inc-1a2b3c4d5e6f-1/evidence", "/api/dashboard", "/api/dashboard/incidents/inc-1a2b3c4d5e6f-1", "/" })
        {
            Assert.False(Excluded(guarded), $"{guarded} must need a sign-in");
        }
    }

    [Fact]
    public void The_app_registration_declares_exactly_the_two_cordon_app_roles_and_azd_keeps_it()
    {
        using JsonDocument roles = JsonDocument.Parse(File.ReadAllText(Path.Combine(bicep.RepoRoot, "infra/auth/app-roles.json")));
        Assert.Equal(new[] { Cordon.Operators.OperatorRoles.Operator, Cordon.Operators.OperatorRoles.Reader }.Order(),
            roles.RootElement.EnumerateArray().Select(r => r.GetProperty("value").GetString()!).Order());
        Assert.All(roles.RootElement.EnumerateArray(), r => Assert.True(Guid.TryParse(r.GetProperty("id").GetString(), out _)));

        string azure = File.ReadAllText(Path.Combine(bicep.RepoRoot, "azure.yaml"));
        Assert.Contains("./infra/hooks/operators-app.sh pre", azure, StringComparison.Ordinal);
        Assert.Contains("./infra/hooks/operators-app.sh post", azure, StringComparison.Ordinal);
        string parameters = File.ReadAllText(Path.Combine(bicep.RepoRoot, "infra/main.parameters.json"));
        Assert.Contains("${CORDON_OPERATORS_CLIENT_ID}", parameters, StringComparison.Ordinal);
        string hook = File.ReadAllText(Path.Combine(bicep.RepoRoot, "infra/hooks/operators-app.sh"));
        Assert.Contains("azd env set CORDON_OPERATORS_CLIENT_ID", hook, StringComparison.Ordinal);
        Assert.Contains("/.auth/login/aad/callback", hook, StringComparison.Ordinal);
    }

    [Fact]
    public void The_workbook_shows_stages_containment_exposure_deadlines_and_operator_waits_from_metrics_the_app_emits()
    {
        TemplateResource workbook = Assert.Single(bicep.OfType("Microsoft.Insights/workbooks"));
        Assert.Equal("portal", workbook.Deployment);
        Assert.Equal("[string(variables('workbookContent'))]", Str(workbook.Json.GetProperty("properties"), "serializedData"));
        JsonElement content = ModuleVariable("portal", "workbookContent");
        string[] sections = content.GetProperty("items").EnumerateArray().Select(i => Str(i, "name")).ToArray();
        Assert.Superset(new HashSet<string> { "incidents-by-stage", "time-to-contain", "exposure-windows", "deadlines", "operator-waits" }, sections.ToHashSet());

        string queries = string.Join("\n", content.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("content").TryGetProperty("query", out _)).Select(i => Str(i.GetProperty("content"), "query")));
        AssertMetricsExist(queries);
    }

    [Fact]
    public void Log_alert_rules_for_missed_deadlines_operator_waits_dead_letters_and_containment_failures_mail_the_operators()
    {
        TemplateResource rules = Assert.Single(bicep.OfType("Microsoft.Insights/scheduledQueryRules"));
        Assert.Equal("portal", rules.Deployment);
        JsonElement declared = ModuleVariable("portal", "rules");
        Assert.Equal(new[] { "deadline-missed", "operator-wait-15min", "alerts-dead-lettered", "intake-failed", "containment-failed" },
            declared.EnumerateArray().Select(r => Str(r, "name")));
        Assert.Contains($"\"{Cordon.Intake.MessageSettler.IntakeFailed}\"", Str(declared[3], "query"), StringComparison.Ordinal);
        Assert.Contains("ago(15m)", Str(declared[1], "query"), StringComparison.Ordinal);
        AssertMetricsExist(string.Join("\n", declared.EnumerateArray().Select(r => Str(r, "query"))));

        JsonElement props = rules.Json.GetProperty("properties");
        Assert.Equal("LogAlert", Str(rules.Json, "kind"));
        Assert.Contains("Microsoft.Insights/actionGroups", props.GetProperty("actions").GetProperty("actionGroups")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Insights/components", props.GetProperty("scopes")[0].GetString(), StringComparison.Ordinal);

        TemplateResource group = Assert.Single(bicep.OfType("Microsoft.Insights/actionGroups"));
        Assert.Equal("[parameters('operatorsEmail')]", Str(group.Json.GetProperty("properties").GetProperty("emailReceivers")[0], "emailAddress"));
        Assert.Equal("[parameters('operatorsEmail')]", bicep.Deployment("portal").GetProperty("properties").GetProperty("parameters").GetProperty("operatorsEmail").GetProperty("value").GetString());
        Assert.Contains("${CORDON_OPERATORS_EMAIL}", File.ReadAllText(Path.Combine(bicep.RepoRoot, "infra/main.parameters.json")), StringComparison.Ordinal);
    }

    /// <summary>
    /// Any message in the dead-letter queue of risk-alerts or access-events pages the operators, whoever dead-lettered it
    /// (found by an attack: a valid alert the broker dead-lettered after its deliveries were spent alerted nobody).
    /// </summary>
    [Fact]
    public void A_message_in_either_queues_dead_letter_queue_mails_the_operators()
    {
        TemplateResource alert = Assert.Single(bicep.OfType("Microsoft.Insights/metricAlerts"));
        Assert.Equal("portal", alert.Deployment);
        JsonElement props = alert.Json.GetProperty("properties");
        Assert.True(props.GetProperty("enabled").GetBoolean());
        Assert.Contains("Microsoft.ServiceBus/namespaces", props.GetProperty("scopes")[0].GetString(), StringComparison.Ordinal);
        JsonElement criterion = Assert.Single(props.GetProperty("criteria").GetProperty("allOf").EnumerateArray());
        Assert.Equal("DeadletteredMessages", Str(criterion, "metricName"));
        Assert.Equal("Microsoft.ServiceBus/namespaces", Str(criterion, "metricNamespace"));
        Assert.Equal(("GreaterThan", 0, "Maximum"), (Str(criterion, "operator"), criterion.GetProperty("threshold").GetInt32(), Str(criterion, "timeAggregation")));
        JsonElement entity = Assert.Single(criterion.GetProperty("dimensions").EnumerateArray());
        Assert.Equal(("EntityName", "Include", "[parameters('serviceBusQueues')]"), (Str(entity, "name"), Str(entity, "operator"), Str(entity, "values")));
        Assert.Contains("Microsoft.Insights/actionGroups", Str(props.GetProperty("actions")[0], "actionGroupId"), StringComparison.Ordinal);

        JsonElement queues = bicep.Deployment("portal").GetProperty("properties").GetProperty("parameters").GetProperty("serviceBusQueues").GetProperty("value");
        Assert.Collection(queues.EnumerateArray(),
            q => Assert.EndsWith(".outputs.riskAlertsQueue.value]", q.GetString(), StringComparison.Ordinal),
            q => Assert.EndsWith(".outputs.accessEventsQueue.value]", q.GetString(), StringComparison.Ordinal));
    }

    /// <summary>Every cordon.* metric a query names is one the app records (CordonMetrics), so no panel stays empty by a typo.</summary>
    void AssertMetricsExist(string queries)
    {
        string metrics = File.ReadAllText(Path.Combine(bicep.RepoRoot, "Functions/Monitoring/CordonMetrics.cs"));
        string[] named = MetricName().Matches(queries).Select(m => m.Value).Distinct().ToArray();
        Assert.NotEmpty(named);
        Assert.All(named, n => Assert.Contains($"\"{n}\"", metrics, StringComparison.Ordinal));
        Assert.Contains("Operator attention for", File.ReadAllText(Path.Combine(bicep.RepoRoot, "Functions/Monitoring/NotifyOperators.cs")), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"cordon\.[a-z_.]+[a-z]")]
    private static partial Regex MetricName();
}
