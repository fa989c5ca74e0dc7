using Azure.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.Adapters;

/// <summary>The steps every adapter registration takes, written once: validated options, the shared identity, the port replaced.</summary>
static class AdapterRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from <paramref name="section"/>, validated when the host starts (unusable
    /// settings stop start-up, each named by <see cref="ISelfValidatingOptions.Validate"/>), and the clock.
    /// </summary>
    internal static OptionsBuilder<TOptions> AddAdapterOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class, ISelfValidatingOptions
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        return services.AddSelfValidatingOptions<TOptions>(configuration.GetSection(section));
    }

    /// <summary>
    /// Makes <typeparamref name="TAdapter"/> the one implementation of <typeparamref name="TPort"/>, replacing any local one
    /// registered before: a singleton, built by <paramref name="create"/> on first use (else by the container), served as
    /// itself and as the port.
    /// </summary>
    internal static IServiceCollection ReplacePort<TPort, TAdapter>(this IServiceCollection services, Func<IServiceProvider, TAdapter>? create = null)
        where TPort : class
        where TAdapter : class, TPort
    {
        services.RemoveAll<TPort>();
        if (create is null)
        {
            services.TryAddSingleton<TAdapter>();
        }
        else
        {
            services.TryAddSingleton(create);
        }

        services.AddSingleton<TPort>(sp => sp.GetRequiredService<TAdapter>());
        return services;
    }

    /// <summary>
    /// An adapter on an Azure service reached with the managed identity: its options (<see cref="AddAdapterOptions"/>),
    /// the shared <see cref="TokenCredential"/> (<see cref="AzureConnectors.TryAddCordonAzureCredential"/>) and the adapter
    /// in place of the port (<see cref="ReplacePort"/>), built by <paramref name="create"/> from the validated options.
    /// </summary>
    internal static OptionsBuilder<TOptions> AddAzureAdapter<TPort, TAdapter, TOptions>(this IServiceCollection services, IConfiguration configuration,
        string section, Func<IServiceProvider, TOptions, TAdapter>? create = null)
        where TPort : class
        where TAdapter : class, TPort
        where TOptions : class, ISelfValidatingOptions
    {
        OptionsBuilder<TOptions> options = services.AddAdapterOptions<TOptions>(configuration, section);
        services.TryAddCordonAzureCredential(configuration);
        services.ReplacePort<TPort, TAdapter>(create is null ? null : sp => create(sp, sp.GetRequiredService<IOptions<TOptions>>().Value));
        return options;
    }
}
