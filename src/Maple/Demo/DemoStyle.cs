namespace Maple.Demo;

/// <summary>How the world's images look: the style CLIP is pretrained on, or the shifted one of the downstream task.</summary>
public enum DemoStyle
{
    /// <summary>Flat or patterned shapes on plain or gradient backgrounds, light or dark, with little noise.</summary>
    Pretraining,

    /// <summary>The same scenes under a warm light: every colour pulled part of the way towards orange (<see cref="DemoWorld.DownstreamLightStrength"/>).</summary>
    Downstream,
}
