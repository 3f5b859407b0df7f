using System.Diagnostics.CodeAnalysis;
namespace Compass.Pipeline;

/// <summary>Which of the two codecs of a COMPASS model a call is for.</summary>
[Experimental(ExperimentalApis.Backend)]
public enum CodecRole
{
    /// <summary>The base-layer codec (codes layer 0 itself).</summary>
    Base = 0,

    /// <summary>The shared residual codec of the enhancement layers (codes image minus LIFF prediction).</summary>
    Residual = 1,
}
