import { ecosystemOrder, packageKey, purlPackage } from './ecosystems.js';

describe('purlPackage', () => {
  it.each([
    ['pkg:npm/lodash@4.17.20', 'npm', 'lodash', '4.17.20'],
    ['pkg:npm/%40babel/core@7.0.0', 'npm', '@babel/core', '7.0.0'],
    ['pkg:pypi/PyYAML@5.3.1', 'PyPI', 'pyyaml', '5.3.1'],
    ['pkg:pypi/zope_interface@5.0', 'PyPI', 'zope.interface', '5.0'],
    ['pkg:maven/org.example/widget@1.2.1', 'Maven', 'org.example:widget', '1.2.1'],
    ['pkg:golang/github.com/example/router@v1.3.0', 'Go', 'github.com/example/router', '1.3.0'],
    ['pkg:cargo/smallvec@1.5.0', 'crates.io', 'smallvec', '1.5.0'],
    ['pkg:nuget/Newtonsoft.Json@12.0.1', 'NuGet', 'newtonsoft.json', '12.0.1'],
    ['pkg:gem/rails@6.0.0', 'RubyGems', 'rails', '6.0.0'],
    ['pkg:composer/Laravel/Framework@8.0.0', 'Packagist', 'laravel/framework', '8.0.0'],
    // A leading v means nothing in these: read as a word, it sorted below every release.
    ['pkg:composer/symfony/http-kernel@v5.4.3', 'Packagist', 'symfony/http-kernel', '5.4.3'],
    ['pkg:pypi/pyyaml@v5.3.1', 'PyPI', 'pyyaml', '5.3.1'],
    ['pkg:pypi/pyyaml@V5.3.1', 'PyPI', 'pyyaml', '5.3.1'],
    ['pkg:golang/github.com/example/router@V1.3.0', 'Go', 'github.com/example/router', '1.3.0'],
    ['pkg:gem/rails@v6.0.0', 'RubyGems', 'rails', 'v6.0.0'],
  ])('maps %s to %s %s %s', (purl, ecosystem, name, version) => {
    const pkg = purlPackage(purl);
    expect(pkg).toMatchObject({ ecosystem, version });
    expect(packageKey(ecosystem, pkg?.name ?? '')).toBe(packageKey(ecosystem, name));
  });

  it("takes the component's version when the purl has none", () => {
    expect(purlPackage('pkg:npm/lodash', '4.17.20')?.version).toBe('4.17.20');
    expect(purlPackage('pkg:npm/lodash@1.0.0', '2.0.0')?.version).toBe('1.0.0');
    expect(purlPackage('pkg:npm/lodash')?.version).toBeUndefined();
    expect(purlPackage('pkg:composer/symfony/http-kernel', 'v5.4.3')?.version).toBe('5.4.3');
  });

  it.each([
    'not a purl',
    'pkg:deb/debian/zlib1g@1.2.11',
    'pkg:maven/widget@1.0',
    'pkg:npm/a@1?x=%ZZ',
  ])('matches nothing for %s', (purl) => {
    expect(purlPackage(purl)).toBeUndefined();
  });
});

describe('ecosystemOrder', () => {
  // A database spelling v5.4.3 matches a component's 5.4.3 where the v means nothing.
  it.each(['PyPI', 'Packagist'])('reads a leading v as nothing, on both sides, for %s', (e) => {
    const order = ecosystemOrder(e);
    expect(order('v5.4.3', '5.4.3')).toBe(0);
    expect(order('5.4.3', 'v5.4.4')).toBeLessThan(0);
    expect(order('V5.0.0', '5.4.3')).toBeLessThan(0);
  });

  it('keeps a leading v a word where it is one (RubyGems)', () => {
    expect(ecosystemOrder('RubyGems')('v5.4.3', '5.0.0')).toBeLessThan(0);
  });
});
