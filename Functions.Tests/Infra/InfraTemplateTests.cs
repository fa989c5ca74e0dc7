using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Cordon.Tests.Infra;

/// <summary>
/// infra/main.bicep is compiled and linted with the real bicep CLI (NuGet package
/// Azure.Bicep.CommandLine.linux-x64), and the security-relevant settings are read back from the
/// ARM JSON it produces. Nothing is skipped: a missing CLI is a failure with a clear message.
/// </summary>
public sealed class InfraTemplateTests : IClassFixture<BicepTemplateFixture>
{
    // Azure built-in role definition ids (identical in every tenant) and where each must be assigned.
    private static readonly Dictionary<string, ExpectedRole> ExpectedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = new("Storage Blob Data Owner", "Microsoft.Storage/storageAccounts", "functionStorageAccountName"),
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = new("Storage Queue Data Contributor", "Microsoft.Storage/storageAccounts", "functionStorageAccountName"),
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = new("Storage Table Data Contributor", "Microsoft.Storage/storageAccounts", "functionStorageAccountName"),
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = new("Storage Blob Data Contributor", "Microsoft.Storage/storageAccounts", "evidenceStorageAccountName"),
        ["4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0"] = new("Azure Service Bus Data Receiver", "Microsoft.ServiceBus/namespaces", "serviceBusNamespaceName"),
        ["69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"] = new("Azure Service Bus Data Sender", "Microsoft.ServiceBus/namespaces", "serviceBusNamespaceName"),
        ["4633458b-17de-408a-b874-0445c86b69e6"] = new("Key Vault Secrets User", "Microsoft.KeyVault/vaults", "keyVaultName"),
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = new("Monitoring Metrics Publisher", "Microsoft.Insights/components", "applicationInsightsName"),
    };

    private static readonly string[] RequiredAppSettings =
    [
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AZURE_CLIENT_ID",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "ServiceBusConnection__fullyQualifiedNamespace",
        "ServiceBusConnection__credential",
        "ServiceBusConnection__clientId",
        "Cordon__Approvals__SigningKey",
        "Cordon__Approvals__BaseUrl",
        "Cordon__Webhooks__SigningKey",
        "Cordon__Email__SendGridApiKey",
        "Cordon__Email__From",
        "Cordon__Configuration__ContainerUri",
        "Cordon__Evidence__BlobServiceUri",
        "Cordon__Evidence__Container",
        "Cordon__Events__FullyQualifiedNamespace",
        "Cordon__Events__Topic",
        "Cordon__Behaviour__Store",
        "Cordon__Behaviour__TableServiceUri",
        "Cordon__Roster__Store",
        "Cordon__Roster__TableServiceUri",
        "Cordon__Roster__SyncInterval",
        "Cordon__ServiceBus__MaxDeliveryCount",
    ];

    private static readonly Regex GuidPattern = new(
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private readonly BicepTemplateFixture _bicep;

    public InfraTemplateTests(BicepTemplateFixture bicep) => _bicep = bicep;

    [Fact]
    public void BicepBuildSucceedsWithoutDiagnostics()
    {
        var build = _bicep.Build;
        Assert.True(build.ExitCode == 0, $"bicep build exited {build.ExitCode}:\n{build.StdErr}");
        Assert.True(string.IsNullOrWhiteSpace(build.StdErr), $"bicep build reported diagnostics:\n{build.StdErr}");
        using var doc = JsonDocument.Parse(build.StdOut);
        Assert.EndsWith("DeploymentTemplate.json#", doc.RootElement.GetProperty("$schema").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(_bicep.Resources);
    }

    [Fact]
    public void BicepLintReportsNoWarningsOrErrors()
    {
        var lint = _bicep.Lint;
        Assert.True(lint.ExitCode == 0, $"bicep lint exited {lint.ExitCode}:\n{lint.StdErr}\n{lint.StdOut}");
        Assert.True(string.IsNullOrWhiteSpace(lint.StdErr), $"bicep lint reported diagnostics:\n{lint.StdErr}");

        using var sarif = JsonDocument.Parse(lint.StdOut);
        var findings = sarif.RootElement.GetProperty("runs").EnumerateArray()
            .SelectMany(run => run.GetProperty("results").EnumerateArray())
            .Select(result => $"{Str(result, "ruleId")}: {result.GetProperty("message").GetProperty("text").GetString()}")
            .ToList();
        Assert.True(findings.Count == 0, "bicep lint findings:\n" + string.Join('\n', findings));
    }

    [Fact]
    public void StorageAccountsAllowNoPublicBlobAccessNoSharedKeyAndRequireTls12()
    {
        var accounts = _bicep.OfType("Microsoft.Storage/storageAccounts");
        Assert.Equal(2, accounts.Count); // function storage + evidence storage, nothing else

        foreach (var account in accounts)
        {
            var props = account.Json.GetProperty("properties");
            var where = account.Deployment;
            Assert.True(props.GetProperty("allowBlobPublicAccess").ValueKind == JsonValueKind.False, $"{where}: allowBlobPublicAccess must be false");
            Assert.True(props.GetProperty("allowSharedKeyAccess").ValueKind == JsonValueKind.False, $"{where}: allowSharedKeyAccess must be false");
            Assert.True(props.GetProperty("supportsHttpsTrafficOnly").ValueKind == JsonValueKind.True, $"{where}: supportsHttpsTrafficOnly must be true");
            Assert.Equal("TLS1_2", Str(props, "minimumTlsVersion"));
        }

        var evidence = Assert.Single(accounts, a => a.Deployment == "evidence-storage");
        Assert.Equal(JsonValueKind.False, evidence.Json.GetProperty("properties").GetProperty("allowSharedKeyAccess").ValueKind);
    }

    [Fact]
    public void EvidenceContainerHasVersionLevelImmutabilityOnAVersionedAccount()
    {
        var blobServices = Assert.Single(_bicep.OfType("Microsoft.Storage/storageAccounts/blobServices"), r => r.Deployment == "evidence-storage");
        Assert.Equal(JsonValueKind.True, blobServices.Json.GetProperty("properties").GetProperty("isVersioningEnabled").ValueKind);

        var container = Assert.Single(_bicep.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"), r => r.Deployment == "evidence-storage");
        var props = container.Json.GetProperty("properties");
        Assert.Equal("None", Str(props, "publicAccess"));
        Assert.Equal(JsonValueKind.True, props.GetProperty("immutableStorageWithVersioning").GetProperty("enabled").ValueKind);

        // The container name the template creates is the one the app is configured with.
        Assert.Equal("evidence", _bicep.Resolve(container.Deployment, "[parameters('containerName')]"));
        Assert.Equal("evidence", _bicep.ResolveAppSetting("Cordon__Evidence__Container"));
    }

    [Fact]
    public void ManagedIdentityHasExactlyTheListedRoles()
    {
        var assignments = _bicep.OfType("Microsoft.Authorization/roleAssignments").Where(a => a.Deployment != DeployerRoles);
        var seen = new List<string>();

        foreach (var assignment in assignments)
        {
            var props = assignment.Json.GetProperty("properties");
            var roleDefinitionId = Str(props, "roleDefinitionId");
            var match = GuidPattern.Match(roleDefinitionId);
            Assert.True(match.Success, $"role definition id without a GUID: {roleDefinitionId}");
            var roleId = match.Value.ToLowerInvariant();
            seen.Add(roleId);

            Assert.True(ExpectedRoles.TryGetValue(roleId, out var expected), $"unexpected role assignment {roleId} ({roleDefinitionId})");
            var scope = Str(assignment.Json, "scope");
            Assert.Contains($"'{expected.ScopeType}'", scope, StringComparison.Ordinal);
            Assert.Contains($"parameters('{expected.ScopeParameter}')", scope, StringComparison.Ordinal);
            Assert.Equal("ServicePrincipal", Str(props, "principalType"));
            Assert.Equal("[parameters('principalId')]", Str(props, "principalId"));
        }

        Assert.Equal(
            ExpectedRoles.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal),
            seen.Order(StringComparer.Ordinal));

        // Every assignment is for the user-assigned identity the app runs as.
        var roles = _bicep.Deployment("role-assignments");
        var principal = roles.GetProperty("properties").GetProperty("parameters").GetProperty("principalId").GetProperty("value").GetString() ?? "";
        Assert.Contains("'identity'", principal, StringComparison.Ordinal);
        Assert.Contains("outputs.principalId.value", principal, StringComparison.Ordinal);
        var identity = Assert.Single(_bicep.OfType("Microsoft.ManagedIdentity/userAssignedIdentities"));
        Assert.Equal("identity", identity.Deployment);
    }

    [Fact]
    public void RiskAlertsQueueDeduplicatesAndDeadLetters()
    {
        var ns = Assert.Single(_bicep.OfType("Microsoft.ServiceBus/namespaces"));
        Assert.Equal("Standard", Str(ns.Json.GetProperty("sku"), "name"));
        Assert.Equal(JsonValueKind.True, ns.Json.GetProperty("properties").GetProperty("disableLocalAuth").ValueKind);
        Assert.Equal("1.2", Str(ns.Json.GetProperty("properties"), "minimumTlsVersion"));

        var queues = _bicep.OfType("Microsoft.ServiceBus/namespaces/queues");
        var riskAlerts = Assert.Single(queues, q => Str(q.Json, "name").Contains("'risk-alerts'", StringComparison.Ordinal));
        var props = riskAlerts.Json.GetProperty("properties");
        Assert.Equal(JsonValueKind.True, props.GetProperty("requiresDuplicateDetection").ValueKind);
        Assert.Equal("PT10M", Str(props, "duplicateDetectionHistoryTimeWindow"));
        Assert.Equal(JsonValueKind.True, props.GetProperty("deadLetteringOnMessageExpiration").ValueKind);
        Assert.Equal("[parameters('maxDeliveryCount')]", Str(props, "maxDeliveryCount"));
        Assert.Equal("PT1M", Str(props, "lockDuration"));

        // The app dead-letters a message's last delivery itself (IntakeFailed): it is told the queues' max delivery count,
        // one variable of main.bicep, and its default is that number; its pauses end well inside the one-minute lock.
        Assert.Equal("[variables('serviceBusMaxDeliveryCount')]", _bicep.Deployment("service-bus").GetProperty("properties").GetProperty("parameters").GetProperty("maxDeliveryCount").GetProperty("value").GetString());
        Assert.Equal("[string(variables('serviceBusMaxDeliveryCount'))]", _bicep.AppSetting("Cordon__ServiceBus__MaxDeliveryCount"));
        using (var main = JsonDocument.Parse(_bicep.Build.StdOut))
        {
            Assert.Equal(new Cordon.Intake.MessageRedeliveryOptions().MaxDeliveryCount, main.RootElement.GetProperty("variables").GetProperty("serviceBusMaxDeliveryCount").GetInt32());
        }

        Assert.Equal(Cordon.Intake.MessageRedeliveryOptions.QueueLockDuration, System.Xml.XmlConvert.ToTimeSpan(Str(props, "lockDuration")));

        var accessEvents = Assert.Single(queues, q => Str(q.Json, "name").Contains("'access-events'", StringComparison.Ordinal));
        Assert.Equal("[parameters('maxDeliveryCount')]", Str(accessEvents.Json.GetProperty("properties"), "maxDeliveryCount"));
        Assert.Equal("PT1M", Str(accessEvents.Json.GetProperty("properties"), "lockDuration"));
        Assert.Single(_bicep.OfType("Microsoft.ServiceBus/namespaces/topics"), t => Str(t.Json, "name").Contains("'incident-events'", StringComparison.Ordinal));
        Assert.Equal("incident-events", _bicep.ResolveAppSetting("Cordon__Events__Topic"));
    }

    const string DeployerRoles = "deployer-role-assignments";

    [Fact]
    public void ConfigurationLivesInItsOwnContainerTheAppReadsAndOnlyTheDeployerWrites()
    {
        var container = Assert.Single(_bicep.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"),
            c => Str(c.Json, "name").Contains("configContainerName", StringComparison.Ordinal));
        Assert.Equal("function-storage", container.Deployment);
        Assert.Equal("config", _bicep.RootVariable("configContainerName"));
        Assert.Contains("variables('configContainerName')", _bicep.AppSetting("Cordon__Configuration__ContainerUri"), StringComparison.Ordinal);

        // The deployer's two roles are scoped to the config container and the vault, for whoever runs azd.
        var deployer = _bicep.OfType("Microsoft.Authorization/roleAssignments").Where(a => a.Deployment == DeployerRoles).ToList();
        Assert.Equal(2, deployer.Count);
        Assert.Contains(deployer, a => Str(a.Json, "scope").Contains("blobServices/containers", StringComparison.Ordinal)
            && Str(a.Json.GetProperty("properties"), "roleDefinitionId").Contains("ba92f5b4-2d11-453d-a403-e96b0029c9fe", StringComparison.Ordinal));
        Assert.Contains(deployer, a => Str(a.Json, "scope").Contains("Microsoft.KeyVault/vaults", StringComparison.Ordinal)
            && Str(a.Json.GetProperty("properties"), "roleDefinitionId").Contains("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", StringComparison.Ordinal));
        string parameters = File.ReadAllText(Path.Combine(_bicep.RepoRoot, "infra", "main.parameters.json"));
        Assert.Contains("${AZURE_PRINCIPAL_ID", parameters, StringComparison.Ordinal);

        // azd runs the hook that uploads config/ and creates missing signing keys.
        string azure = File.ReadAllText(Path.Combine(_bicep.RepoRoot, "azure.yaml"));
        Assert.Contains("postprovision:", azure, StringComparison.Ordinal);
        Assert.Contains("scripts/postprovision.sh", azure, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_bicep.RepoRoot, "config", "world.json")));
        Assert.True(File.Exists(Path.Combine(_bicep.RepoRoot, "config", "policy.json")));
    }

    [Fact]
    public void PlatformHealthCheckProbesTheHealthEndpoint()
    {
        var siteConfig = _bicep.FunctionSite.Json.GetProperty("properties").GetProperty("siteConfig");
        Assert.Equal("/api/health", Str(siteConfig, "healthCheckPath"));
    }

    [Fact]
    public void KeyVaultUsesRbacAndTheTemplateCreatesNoSecrets()
    {
        var vault = Assert.Single(_bicep.OfType("Microsoft.KeyVault/vaults"));
        var props = vault.Json.GetProperty("properties");
        Assert.Equal(JsonValueKind.True, props.GetProperty("enableRbacAuthorization").ValueKind);
        Assert.False(props.TryGetProperty("accessPolicies", out _), "RBAC vault must not carry access policies");
        Assert.Equal(JsonValueKind.True, props.GetProperty("enableSoftDelete").ValueKind);

        // Secret values never travel through deployment history: they are set with `az keyvault secret set`.
        Assert.Empty(_bicep.OfType("Microsoft.KeyVault/vaults/secrets"));
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1})'", _bicep.AppSetting("Cordon__Approvals__SigningKey"), StringComparison.Ordinal);
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1})'", _bicep.AppSetting("Cordon__Email__SendGridApiKey"), StringComparison.Ordinal);
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1})'", _bicep.AppSetting("Cordon__Webhooks__SigningKey"), StringComparison.Ordinal);
        Assert.Contains("variables('webhookSigningKeySecretName')", _bicep.AppSetting("Cordon__Webhooks__SigningKey"), StringComparison.Ordinal);
        Assert.Equal("webhook-signing-key", _bicep.RootVariable("webhookSigningKeySecretName"));
        Assert.Equal("approval-signing-key", _bicep.RootVariable("approvalSigningKeySecretName"));
        Assert.Equal("sendgrid-api-key", _bicep.RootVariable("sendGridApiKeySecretName"));
    }

    [Fact]
    public void FunctionAppRunsOnFlexConsumptionAsTheManagedIdentityWithoutKeys()
    {
        var plan = Assert.Single(_bicep.OfType("Microsoft.Web/serverfarms"));
        Assert.Equal("FC1", Str(plan.Json.GetProperty("sku"), "name"));
        Assert.Equal("FlexConsumption", Str(plan.Json.GetProperty("sku"), "tier"));

        var site = _bicep.FunctionSite;
        Assert.Equal("UserAssigned", Str(site.Json.GetProperty("identity"), "type"));
        var props = site.Json.GetProperty("properties");
        Assert.Equal(JsonValueKind.True, props.GetProperty("httpsOnly").ValueKind);
        Assert.Equal("[parameters('identityId')]", Str(props, "keyVaultReferenceIdentity"));
        var config = props.GetProperty("functionAppConfig");
        Assert.Equal("dotnet-isolated", Str(config.GetProperty("runtime"), "name"));
        Assert.Equal("10.0", Str(config.GetProperty("runtime"), "version"));
        Assert.Equal("UserAssignedIdentity", Str(config.GetProperty("deployment").GetProperty("storage").GetProperty("authentication"), "type"));

        var settings = _bicep.AppSettings;
        foreach (var name in RequiredAppSettings)
        {
            Assert.True(settings.ContainsKey(name), $"app setting {name} is missing");
        }

        Assert.DoesNotContain(settings.Keys, k => k.Equals("AzureWebJobsStorage", StringComparison.OrdinalIgnoreCase));
        foreach (var (name, value) in settings)
        {
            Assert.DoesNotContain("AccountKey=", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessKey", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listKeys", value, StringComparison.OrdinalIgnoreCase);
            Assert.False(string.IsNullOrEmpty(value), $"app setting {name} is empty");
        }

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("managedidentity", settings["ServiceBusConnection__credential"]);
        // No setting nothing reads (the adapters are chosen by the host, not by a "Provider" switch).
        Assert.DoesNotContain(settings.Keys, k => k.EndsWith("__Provider", StringComparison.Ordinal));
    }

    [Fact]
    public void DiagnosticSettingsSendFunctionAppServiceBusAndKeyVaultLogsToLogAnalytics()
    {
        var scoped = _bicep.OfType("Microsoft.Insights/diagnosticSettings")
            .Where(d => d.Json.GetProperty("properties").TryGetProperty("workspaceId", out _))
            .Select(d => Str(d.Json, "scope"))
            .ToList();

        Assert.Contains(scoped, s => s.Contains("'Microsoft.Web/sites'", StringComparison.Ordinal));
        Assert.Contains(scoped, s => s.Contains("'Microsoft.ServiceBus/namespaces'", StringComparison.Ordinal));
        Assert.Contains(scoped, s => s.Contains("'Microsoft.KeyVault/vaults'", StringComparison.Ordinal));
    }

    [Fact]
    public void AzdPublishesTheFunctionsProjectWithTheServiceBusTrigger()
    {
        var azureYaml = File.ReadAllText(Path.Combine(_bicep.RepoRoot, "azure.yaml"));
        Assert.Contains("host: function", azureYaml, StringComparison.Ordinal);
        var project = Regex.Match(azureYaml, @"^\s+project:\s*(\S+)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant);
        Assert.True(project.Success, "azure.yaml has no service project");

        var projectDir = Path.GetFullPath(Path.Combine(_bicep.RepoRoot, project.Groups[1].Value));
        var wrapper = Assert.Single(Directory.GetFiles(projectDir, "*.csproj"));
        var xml = XDocument.Load(wrapper);

        // Evaluate the wrapper with MSBuild itself: which project it publishes and with which properties.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var evaluation = BicepTemplateFixture.Run(dotnet, _bicep.RepoRoot,
            "msbuild", wrapper, "-getProperty:CordonFunctionsProject", "-getProperty:CordonDeployProperties");
        Assert.True(evaluation.ExitCode == 0, $"dotnet msbuild failed:\n{evaluation.StdOut}\n{evaluation.StdErr}");
        using var properties = JsonDocument.Parse(evaluation.StdOut);
        var evaluated = properties.RootElement.GetProperty("Properties");
        Assert.Contains("-p:ServiceBusTrigger=true", Str(evaluated, "CordonDeployProperties"), StringComparison.Ordinal);
        Assert.Equal(
            Path.GetFullPath(Path.Combine(_bicep.RepoRoot, "Functions", "Functions.csproj")),
            Str(evaluated, "CordonFunctionsProject"));

        foreach (var targetName in new[] { "Restore", "Build", "Publish" })
        {
            var exec = xml.Descendants("Target").Single(t => (string?)t.Attribute("Name") == targetName)
                .Descendants("Exec").Single();
            Assert.Contains("$(CordonDeployProperties)", (string?)exec.Attribute("Command") ?? "", StringComparison.Ordinal);
        }
    }

    private static string Str(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private sealed record ExpectedRole(string Name, string ScopeType, string ScopeParameter);
}

/// <summary>Runs `bicep build` and `bicep lint` once for all tests of the class.</summary>
public sealed class BicepTemplateFixture
{
    private const string BicepPackageId = "Azure.Bicep.CommandLine.linux-x64";
    private static readonly Regex ParameterReference = new(@"^\[parameters\('([^']+)'\)\]$", RegexOptions.CultureInvariant);
    private static readonly Regex VariableReference = new(@"^\[variables\('([^']+)'\)\]$", RegexOptions.CultureInvariant);

    private readonly JsonDocument _template;

    public BicepTemplateFixture()
    {
        RepoRoot = FindRepoRoot();
        BicepPath = FindBicep(RepoRoot);
        var mainBicep = Path.Combine(RepoRoot, "infra", "main.bicep");
        Assert.True(File.Exists(mainBicep), $"missing {mainBicep}");

        Build = Run(BicepPath, RepoRoot, "build", mainBicep, "--stdout");
        Lint = Run(BicepPath, RepoRoot, "lint", mainBicep, "--diagnostics-format", "sarif");

        Assert.True(Build.ExitCode == 0, $"bicep build failed ({Build.ExitCode}):\n{Build.StdErr}");
        _template = JsonDocument.Parse(Build.StdOut);
        var resources = new List<TemplateResource>();
        Collect(_template.RootElement, "(root)", resources);
        Resources = resources;

        FunctionSite = Resources.Single(r => r.Type == "Microsoft.Web/sites");
        AppSettings = ReadAppSettings();
    }

    public string RepoRoot { get; }

    public string BicepPath { get; }

    public ProcessResult Build { get; }

    public ProcessResult Lint { get; }

    /// <summary>Every resource of the compiled template, nested module deployments flattened.</summary>
    public IReadOnlyList<TemplateResource> Resources { get; }

    public TemplateResource FunctionSite { get; }

    /// <summary>Function app settings: the module's platform settings merged with the Cordon settings passed from main.bicep (raw ARM expressions).</summary>
    public IReadOnlyDictionary<string, string> AppSettings { get; }

    public IReadOnlyList<TemplateResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase)).ToList();

    public string AppSetting(string name) =>
        AppSettings.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"app setting {name} is missing");

    public JsonElement Deployment(string name) =>
        Resources.Single(r => r.Type == "Microsoft.Resources/deployments" && Str(r.Json, "name") == name).Json;

    public string RootVariable(string name) =>
        _template.RootElement.GetProperty("variables").GetProperty(name).GetString() ?? "";

    /// <summary>The value of a Cordon app setting whose ARM expression is a literal or a variable of main.bicep.</summary>
    public string ResolveAppSetting(string name) => Resolve("(root)", AppSetting(name));

    /// <summary>Resolves a literal, a [parameters('x')] of a module (through the value main.bicep passes) or a [variables('x')] of main.bicep.</summary>
    public string Resolve(string deployment, string expression)
    {
        var value = expression;
        for (var guard = 0; guard < 8; guard++)
        {
            var parameter = ParameterReference.Match(value);
            if (parameter.Success && deployment != "(root)")
            {
                value = Deployment(deployment).GetProperty("properties").GetProperty("parameters")
                    .GetProperty(parameter.Groups[1].Value).GetProperty("value").GetString() ?? "";
                deployment = "(root)";
                continue;
            }

            var variable = VariableReference.Match(value);
            if (variable.Success && deployment == "(root)")
            {
                value = RootVariable(variable.Groups[1].Value);
                continue;
            }

            return value;
        }

        throw new InvalidOperationException($"cannot resolve {expression}");
    }

    private Dictionary<string, string> ReadAppSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        var module = Deployment("function-app");
        var platform = module.GetProperty("properties").GetProperty("template").GetProperty("variables").GetProperty("platformSettings");
        foreach (var setting in platform.EnumerateObject())
        {
            settings[setting.Name] = setting.Value.ToString();
        }

        var passed = module.GetProperty("properties").GetProperty("parameters").GetProperty("appSettings").GetProperty("value");
        foreach (var setting in passed.EnumerateObject())
        {
            settings[setting.Name] = setting.Value.ToString();
        }

        return settings;
    }

    private static void Collect(JsonElement template, string deployment, List<TemplateResource> into)
    {
        var resources = template.GetProperty("resources");
        // languageVersion 2.0 templates keep resources in an object keyed by symbolic name.
        var items = resources.ValueKind == JsonValueKind.Array
            ? resources.EnumerateArray().ToList()
            : resources.EnumerateObject().Select(p => p.Value).ToList();

        foreach (var resource in items)
        {
            var type = Str(resource, "type");
            into.Add(new TemplateResource(type, deployment, resource));
            if (type == "Microsoft.Resources/deployments"
                && resource.GetProperty("properties").TryGetProperty("template", out var nested))
            {
                Collect(nested, Str(resource, "name"), into);
            }
        }
    }

    private static string Str(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Workflows.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Workflows.sln above {AppContext.BaseDirectory}");
    }

    private static string FindBicep(string repoRoot)
    {
        Assert.True(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64,
            $"{BicepPackageId} carries the linux-x64 bicep CLI; these tests need Linux x64.");

        var version = XDocument.Load(Path.Combine(repoRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .Single(p => string.Equals((string?)p.Attribute("Include"), BicepPackageId, StringComparison.OrdinalIgnoreCase))
            .Attribute("Version")!.Value;

        var packagesRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(packagesRoot))
        {
            packagesRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        var toolsDir = Path.Combine(packagesRoot, BicepPackageId.ToLowerInvariant(), version.ToLowerInvariant(), "tools");
        var bicep = Path.Combine(toolsDir, "bicep");
        Assert.True(File.Exists(bicep),
            $"bicep CLI not found at {bicep}. Restore Functions.Tests (it references {BicepPackageId} {version}).");

        // NuGet extraction does not always keep the executable bit.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(bicep);
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(bicep, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return bicep;
    }

    internal static ProcessResult Run(string fileName, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in 3 minutes");
        }

        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

public sealed record TemplateResource(string Type, string Deployment, JsonElement Json);
