using Azure.Core;
using Azure.Data.Tables;
using Cordon.Adapters.Tables;
using Cordon.Connectors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cordon.Roster;

public static class RosterServiceCollectionExtensions
{
    /// <summary>
    /// The roster: <see cref="RosterOptions"/> from <c>Cordon:Roster</c> (validated at start-up), its store (memory,
    /// or Azure Tables by connection string or by endpoint on the shared credential; the endpoint defaults to the
    /// Function App's storage account), <see cref="SiteRoster"/> and <see cref="RosterSync"/>. The directory port
    /// (<see cref="IGroupMembersDelta"/>) is the host's choice: Graph in Azure, the simulated directory locally.
    /// </summary>
    public static IServiceCollection AddCordonRoster(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<RosterOptions>()
            .Bind(configuration.GetSection(RosterOptions.Section))
            .PostConfigure(o =>
            {
                string? account = configuration["AzureWebJobsStorage:accountName"];
                if (o.Store == "table" && string.IsNullOrWhiteSpace(o.TableConnection) && string.IsNullOrWhiteSpace(o.TableServiceUri) && !string.IsNullOrWhiteSpace(account))
                {
                    o.TableServiceUri = $"https://{account}.table.core.windows.net/";
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RosterOptions>, Validator>());
        if (configuration[$"{RosterOptions.Section}:Store"] == "table" && string.IsNullOrWhiteSpace(configuration[$"{RosterOptions.Section}:TableConnection"]))
        {
            services.TryAddCordonAzureCredential(configuration);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRosterStore>(sp =>
        {
            RosterOptions o = sp.GetRequiredService<IOptions<RosterOptions>>().Value;
            if (o.Store != "table")
            {
                return new MemoryRosterStore();
            }

            TableServiceClient account = !string.IsNullOrWhiteSpace(o.TableConnection)
                ? new TableServiceClient(o.TableConnection)
                : new TableServiceClient(new Uri(o.TableServiceUri!), sp.GetRequiredService<TokenCredential>());
            return new TableRosterStore(account.GetTableClient(o.Table), account.GetTableClient(o.Table + "Sync"));
        });
        services.TryAddSingleton<SiteRoster>();
        services.TryAddSingleton<RosterSync>();
        services.AddTransient<SyncRosters>();
        return services;
    }

    sealed class Validator : IValidateOptions<RosterOptions>
    {
        public ValidateOptionsResult Validate(string? name, RosterOptions options)
        {
            IReadOnlyList<string> problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
