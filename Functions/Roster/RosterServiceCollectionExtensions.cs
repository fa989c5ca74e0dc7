using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.Roster;

public static class RosterServiceCollectionExtensions
{
    /// <summary>
    /// The roster: <see cref="RosterOptions"/> from <c>Cordon:Roster</c> (validated at start-up; the Table endpoint
    /// defaults to the Function App's storage account), a memory store unless a host registered the Table one, <see cref="SiteRoster"/> and <see cref="RosterSync"/>. The directory port
    /// (<see cref="IGroupMembersDelta"/>) is the host's choice: Graph in Azure, the simulated directory locally.
    /// </summary>
    public static IServiceCollection AddCordonRoster(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddSelfValidatingOptions<RosterOptions>(configuration.GetSection(RosterOptions.Section))
            .PostConfigure(o =>
            {
                if (o.Store == "table" && string.IsNullOrWhiteSpace(o.TableConnection) && string.IsNullOrWhiteSpace(o.TableServiceUri))
                {
                    o.TableServiceUri = HostStorage.TableServiceUri(configuration) ?? o.TableServiceUri;
                }
            });
        services.TryAddSingleton(TimeProvider.System);
        // The store is the hosts' choice (memory by default; Azure Tables: AddCordonTableRoster in the adapters).
        services.TryAddSingleton<IRosterStore, MemoryRosterStore>();
        services.TryAddSingleton<SiteRoster>();
        services.TryAddSingleton<RosterSync>();
        services.AddTransient<SyncRosters>();
        return services;
    }
}
