using Azure.Core;
using Azure.Data.Tables;
using Cordon.Offboarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cordon.Adapters.Tables;

public static class TableServiceCollectionExtensions
{
    /// <summary>
    /// The site register on Azure Table Storage: binds <see cref="TableSiteRegisterOptions"/> from
    /// <c>Cordon:SiteRegister</c> (the endpoint defaults to the Function App's storage account from
    /// <c>AzureWebJobsStorage:accountName</c>; validated at start-up) and registers
    /// <see cref="ISiteRegister"/> → <see cref="TableSiteRegister"/> on the managed identity.
    /// </summary>
    public static IServiceCollection AddCordonTableSiteRegister(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<TableSiteRegisterOptions>()
            .Bind(configuration.GetSection(TableSiteRegisterOptions.Section))
            .PostConfigure(o =>
            {
                string? account = configuration["AzureWebJobsStorage:accountName"];
                if (string.IsNullOrWhiteSpace(o.TableServiceUri) && !string.IsNullOrWhiteSpace(account))
                {
                    o.TableServiceUri = $"https://{account}.table.core.windows.net/";
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TableSiteRegisterOptions>, Validator>());
        services.TryAddCordonAzureCredential(configuration);

        services.RemoveAll<ISiteRegister>();
        services.TryAddSingleton(sp =>
        {
            TableSiteRegisterOptions o = sp.GetRequiredService<IOptions<TableSiteRegisterOptions>>().Value;
            var account = new TableServiceClient(new Uri(o.TableServiceUri!), sp.GetRequiredService<TokenCredential>());
            return new TableSiteRegister(account.GetTableClient(o.Table));
        });
        services.AddSingleton<ISiteRegister>(sp => sp.GetRequiredService<TableSiteRegister>());
        return services;
    }

    sealed class Validator : IValidateOptions<TableSiteRegisterOptions>
    {
        public ValidateOptionsResult Validate(string? name, TableSiteRegisterOptions options)
        {
            IReadOnlyList<string> problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
