using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cordon.World;

/// <summary>Options that name their own problems: one message per unusable setting, empty when usable.</summary>
public interface ISelfValidatingOptions
{
    IReadOnlyList<string> Validate();
}

public static class SelfValidatingOptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> from <paramref name="section"/> and validates it when the host starts: unusable
    /// settings stop start-up, each named by the options' own <see cref="ISelfValidatingOptions.Validate"/>.
    /// </summary>
    public static OptionsBuilder<T> AddSelfValidatingOptions<T>(this IServiceCollection services, IConfiguration section)
        where T : class, ISelfValidatingOptions
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, SelfValidation<T>>());
        return services.AddOptions<T>().Bind(section).ValidateOnStart();
    }

    sealed class SelfValidation<T> : IValidateOptions<T>
        where T : class, ISelfValidatingOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            IReadOnlyList<string> problems = options.Validate();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
