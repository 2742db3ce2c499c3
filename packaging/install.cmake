# Install rules and a Debian package (cpack -G DEB) for the CLI, the GUI and the sample model.
include(GNUInstallDirs)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/hierscope.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/hierscope.svg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
install(FILES ${CMAKE_SOURCE_DIR}/resources/sample/bert_like_op17.onnx
              ${CMAKE_SOURCE_DIR}/resources/sample/bert_like_op17_seed_sidecar.json
        DESTINATION ${CMAKE_INSTALL_DATADIR}/hierscope/samples)

set(CPACK_PACKAGE_NAME hierscope)
set(CPACK_PACKAGE_VENDOR "Hierscope")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ONNX model explorer that shows which PyTorch module every operator came from")
set(CPACK_PACKAGE_CONTACT "hierscope maintainers")
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
include(CPack)
