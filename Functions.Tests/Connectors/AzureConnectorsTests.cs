using Azure.Messaging.ServiceBus;
using Cordon.Access;
using Cordon.Adapters.Events;
using Cordon.Adapters;
using Cordon.Evidence;
using Cordon.Notification;
using Cordon.Adapters.Blob;
using Cordon.Adapters.Graph;
using Cordon.Adapters.Tables;
using Cordon.Offboarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Cordon.Tests.Connectors;

/// <summary>The deployed app's registrations: every port bound to its Azure adapter, bad settings refused by name.</summary>
public sealed class AzureConnectorsTests
{
    static readonly Dictionary<string, string?> Deployed = new()
    {
        ["Cordon:Approvals:SigningKey"] = Convert.ToBase64String(new byte[32]),
        ["Cordon:Webhooks:SigningKey"] = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()),
        ["Cordon:Email:SendGridApiKey"] = "SG.test-key",
        ["Cordon:Email:From"] = "cordon@cordon-customer.example",
        ["Cordon:Evidence:BlobServiceUri"] = "https://stevtest.blob.core.windows.net/",
        ["Cordon:Evidence:Container"] = "evidence",
        ["AzureWebJobsStorage:accountName"] = "stfntest",
        ["Cordon:Events:FullyQualifiedNamespace"] = "sb-cordon-test.servicebus.windows.net",
        ["Cordon:Events:Topic"] = "incident-events",
    };

    static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCordonWorkflow(configuration).AddCordonAzureConnectors(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task Deployed_settings_bind_every_port_to_its_azure_adapter()
    {
        await using ServiceProvider services = Build(Deployed);

        var evidence = Assert.IsType<BlobEvidenceStore>(services.GetRequiredService<IEvidenceStore>());
        Assert.Equal("https://stevtest.blob.core.windows.net/evidence", evidence.Container.Uri.ToString());
        var register = Assert.IsType<TableSiteRegister>(services.GetRequiredService<ISiteRegister>());
        Assert.Equal("stfntest.table.core.windows.net", register.Table.Uri.Host);
        Assert.IsType<GraphAccessControl>(services.GetRequiredService<IAccessControl>());
        Assert.IsType<Cordon.Adapters.SendGrid.SendGridEmailSender>(services.GetRequiredService<IEmailSender>());
        Assert.Equal("incident-events", services.GetRequiredService<ServiceBusSender>().EntityPath);
        Assert.NotNull(services.GetRequiredService<IncidentEventPublisher>());
    }

    [Theory]
    [InlineData("Cordon:Evidence:BlobServiceUri", null, "Cordon:Evidence:BlobServiceUri is missing")]
    [InlineData("Cordon:Evidence:BlobServiceUri", "http://stevtest.blob.core.windows.net/", "Cordon:Evidence:BlobServiceUri 'http://stevtest.blob.core.windows.net/' must be an absolute https URL")]
    [InlineData("Cordon:Evidence:Container", "Evidence_Bad", "Cordon:Evidence:Container 'Evidence_Bad' is not a valid container name")]
    [InlineData("AzureWebJobsStorage:accountName", null, "Cordon:SiteRegister:TableServiceUri is missing")]
    [InlineData("Cordon:Events:FullyQualifiedNamespace", null, "Cordon:Events:Topic is set but neither Cordon:Events:FullyQualifiedNamespace")]
    public async Task A_missing_or_bad_setting_stops_start_up_naming_it(string setting, string? value, string expected)
    {
        await using ServiceProvider services = Build(new Dictionary<string, string?>(Deployed) { [setting] = value });

        var errors = new List<string>();
        foreach (Action resolve in new Action[]
        {
            () => _ = services.GetRequiredService<IOptions<BlobEvidenceOptions>>().Value,
            () => _ = services.GetRequiredService<IOptions<TableSiteRegisterOptions>>().Value,
            () => _ = services.GetRequiredService<IOptions<IncidentEventOptions>>().Value,
        })
        {
            try
            {
                resolve();
            }
            catch (OptionsValidationException ex)
            {
                errors.Add(ex.Message);
            }
        }

        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Cordon:Webhooks:SigningKey is not set")]
    [InlineData("", "Cordon:Webhooks:SigningKey is not set")]
    [InlineData("c2hvcnQta2V5", "Cordon:Webhooks:SigningKey is 9 bytes; at least 32")]
    [InlineData("not base64!", "Cordon:Webhooks:SigningKey is not base64")]
    public Task Start_up_is_refused_on_a_missing_or_short_webhook_key_naming_the_setting(string? key, string expected) =>
        AssertStartUpRefusedAsync("Cordon:Webhooks:SigningKey", key, expected);

    /// <summary>The deployed settings with <paramref name="setting"/> set to <paramref name="value"/>: start-up fails, saying <paramref name="expected"/>.</summary>
    static async Task AssertStartUpRefusedAsync(string setting, string? value, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(Deployed) { [setting] = value });
        builder.Services.AddCordonWorkflow(builder.Configuration).AddCordonAzureConnectors(builder.Configuration);
        using IHost host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// An approval signing key that cannot sign (an unresolved Key Vault reference, a short key) passed start-up, and the
    /// first incident's approval mail failed after its retries (found by an attack). Start-up stops, naming the setting.
    /// </summary>
    [Theory]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/approvals)", "Cordon:Approvals:SigningKey must be base64")]
    [InlineData("c2hvcnQta2V5", "Cordon:Approvals:SigningKey must decode to at least 32 bytes (got 9)")]
    [InlineData("", "Cordon:Approvals:SigningKey is not set")]
    public Task Start_up_is_refused_on_an_approval_key_that_cannot_sign_naming_the_setting(string key, string expected) =>
        AssertStartUpRefusedAsync("Cordon:Approvals:SigningKey", key, expected);

    [Fact]
    public async Task Graph_tenant_and_client_settings_reach_the_one_credential_every_adapter_shares()
    {
        await using ServiceProvider services = Build(new Dictionary<string, string?>(Deployed)
        {
            ["Cordon:Graph:TenantId"] = "11111111-2222-3333-4444-555555555555",
            ["Cordon:Graph:ManagedIdentityClientId"] = "66666666-7777-8888-9999-000000000000",
        });

        var options = services.GetRequiredService<Azure.Identity.DefaultAzureCredentialOptions>();
        Assert.Equal("11111111-2222-3333-4444-555555555555", options.TenantId);
        Assert.Equal("66666666-7777-8888-9999-000000000000", options.ManagedIdentityClientId);
        Assert.IsType<Azure.Identity.DefaultAzureCredential>(services.GetRequiredService<Azure.Core.TokenCredential>());
        // Registered once: the events registration (which runs first) and Graph's share it.
        var descriptors = Registrations(Deployed).Where(d => d.ServiceType == typeof(Azure.Core.TokenCredential)).ToList();
        Assert.Single(descriptors);
    }

    static List<ServiceDescriptor> Registrations(Dictionary<string, string?> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCordonWorkflow(configuration).AddCordonAzureConnectors(configuration);
        return [.. services];
    }
}
