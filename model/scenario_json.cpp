// placeholder until the loader lands
namespace schedcheck {}
