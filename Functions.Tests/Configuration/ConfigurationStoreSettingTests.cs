using Cordon.Configuration;
using Microsoft.Extensions.Configuration;

namespace Cordon.Tests.Configuration;

/// <summary>
/// The configuration store's connection string at start-up (found by an attack): a blank value started on an empty
/// world, and garbage or an unresolved Key Vault reference stopped start-up with the storage client's FormatException,
/// naming no setting. Each is now refused naming Cordon:Configuration:ConnectionString.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ConfigurationStoreSettingTests
{
    [Theory]
    [InlineData("garbage", "not a storage connection string")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/cfg/)", "unresolved Key Vault reference")]
    [InlineData("@Microsoft.KeyVault(VaultName=kv;SecretName=cfg)", "unresolved Key Vault reference")]
    [InlineData("   ", "is blank")]
    public void A_bad_configuration_store_connection_string_stops_start_up_naming_the_setting(string connection, string why)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cordon:Configuration:ConnectionString"] = connection,
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCordonConfiguration(config);
        using ServiceProvider sp = services.BuildServiceProvider();

        Exception ex = Assert.ThrowsAny<Exception>(() => sp.GetRequiredService<LiveConfiguration>());

        Assert.Contains("Cordon:Configuration:ConnectionString", ex.Message, StringComparison.Ordinal);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage", "not a storage connection string")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/roster/)", "unresolved Key Vault reference")]
    public void A_bad_roster_table_connection_string_is_refused_naming_the_setting(string connection, string why)
    {
        var options = new Cordon.Roster.RosterOptions { Store = "table", TableConnection = connection };

        string problem = Assert.Single(options.Validate(), p => p.Contains("TableConnection", StringComparison.Ordinal));
        Assert.Contains("Cordon:Roster:TableConnection", problem, StringComparison.Ordinal);
        Assert.Contains(why, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage", "not a storage connection string")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/behaviour/)", "unresolved Key Vault reference")]
    [InlineData("   ", "is blank")]
    public void A_bad_behaviour_table_connection_string_stops_start_up_naming_the_setting(string connection, string why)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cordon:Behaviour:Store"] = "table",
            ["Cordon:Behaviour:TableConnection"] = connection,
            ["Cordon:Behaviour:TableServiceUri"] = "https://account.table.core.windows.net",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCordonBehaviour(config);
        using ServiceProvider sp = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IOptions<Cordon.Behaviour.BehaviourOptions>>().Value);

        Assert.Contains("Cordon:Behaviour:TableConnection", ex.Message, StringComparison.Ordinal);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_development_storage_connection_string_passes()
    {
        Assert.Empty(new ConfigurationOptions { ConnectionString = "UseDevelopmentStorage=true" }.Validate());
        Assert.Empty(new Cordon.Roster.RosterOptions { Store = "table", TableConnection = "UseDevelopmentStorage=true" }.Validate());
    }
}
