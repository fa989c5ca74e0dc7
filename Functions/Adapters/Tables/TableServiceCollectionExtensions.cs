using Azure.Core;
using Azure.Data.Tables;
using Cordon.Offboarding;
using Cordon.Roster;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.Adapters.Tables;

public static class TableServiceCollectionExtensions
{
    /// <summary>
    /// The roster on Azure Table Storage when <c>Cordon:Roster:Store</c> is <c>table</c>: by connection string, or by
    /// endpoint on the shared credential. Call after <c>AddCordonRoster</c>; otherwise the memory roster stays.
    /// </summary>
    public static IServiceCollection AddCordonTableRoster(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[$"{RosterOptions.Section}:Store"] != "table")
        {
            return services;
        }

        if (string.IsNullOrWhiteSpace(configuration[$"{RosterOptions.Section}:TableConnection"]))
        {
            services.TryAddCordonAzureCredential(configuration);
        }

        return services.ReplacePort<IRosterStore, TableRosterStore>(sp =>
        {
            RosterOptions o = sp.GetRequiredService<IOptions<RosterOptions>>().Value;
            TableServiceClient account = !string.IsNullOrWhiteSpace(o.TableConnection)
                ? new TableServiceClient(o.TableConnection)
                : new TableServiceClient(new Uri(o.TableServiceUri!), sp.GetRequiredService<TokenCredential>());
            return new TableRosterStore(account.GetTableClient(o.Table), account.GetTableClient(o.Table + "Sync"));
        });
    }

    /// <summary>
    /// The site register on Azure Table Storage: binds <see cref="TableSiteRegisterOptions"/> from
    /// <c>Cordon:SiteRegister</c> (the endpoint defaults to the Function App's storage account from
    /// <c>AzureWebJobsStorage:accountName</c>; validated at start-up) and registers
    /// <see cref="ISiteRegister"/> → <see cref="TableSiteRegister"/> on the managed identity.
    /// </summary>
    public static IServiceCollection AddCordonTableSiteRegister(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddAzureAdapter<ISiteRegister, TableSiteRegister, TableSiteRegisterOptions>(configuration, TableSiteRegisterOptions.Section, (sp, o) =>
                new TableSiteRegister(new TableServiceClient(new Uri(o.TableServiceUri!), sp.GetRequiredService<TokenCredential>()).GetTableClient(o.Table)))
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.TableServiceUri))
                {
                    o.TableServiceUri = HostStorage.TableServiceUri(configuration) ?? o.TableServiceUri;
                }
            });
        return services;
    }
}
