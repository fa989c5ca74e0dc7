using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace Cordon.Connectors.Graph;

public static class GraphServiceCollectionExtensions
{
    /// <summary>
    /// Access control on Microsoft Graph: binds <see cref="GraphOptions"/> from <c>Cordon:Graph</c>,
    /// registers a <see cref="TokenCredential"/> (unless the host registered one: DefaultAzureCredential,
    /// which picks the managed identity in Azure — user-assigned through <c>ManagedIdentityClientId</c> or
    /// AZURE_CLIENT_ID), the <see cref="GraphServiceClient"/> and <see cref="IAccessControl"/> →
    /// <see cref="GraphAccessControl"/>, replacing any local access-control adapter.
    /// </summary>
    public static IServiceCollection AddCordonGraph(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<GraphOptions>()
            .Bind(configuration.GetSection(GraphOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GraphOptions>, GraphOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TokenCredential>(sp =>
        {
            GraphOptions o = sp.GetRequiredService<IOptions<GraphOptions>>().Value;
            var credentialOptions = new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = string.IsNullOrWhiteSpace(o.ManagedIdentityClientId)
                    ? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID")
                    : o.ManagedIdentityClientId,
            };
            if (!string.IsNullOrWhiteSpace(o.TenantId))
            {
                credentialOptions.TenantId = o.TenantId;
            }

            return new DefaultAzureCredential(credentialOptions);
        });
        services.TryAddSingleton(sp => GraphClients.Create(
            sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<IOptions<GraphOptions>>().Value));

        services.RemoveAll<IAccessControl>();
        services.TryAddSingleton<GraphAccessControl>();
        services.AddSingleton<IAccessControl>(sp => sp.GetRequiredService<GraphAccessControl>());
        return services;
    }

    /// <summary>Refuses unusable settings, naming each one.</summary>
    sealed class GraphOptionsValidator : IValidateOptions<GraphOptions>
    {
        public ValidateOptionsResult Validate(string? name, GraphOptions options)
        {
            IReadOnlyList<string> problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
