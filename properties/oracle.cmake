add_library(schedcheck_oracle STATIC ${CMAKE_CURRENT_LIST_DIR}/brute_force_oracle.cpp
            ${CMAKE_CURRENT_LIST_DIR}/oracle_memory.cpp ${CMAKE_CURRENT_LIST_DIR}/oracle_report.cpp)
target_include_directories(schedcheck_oracle PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(schedcheck_oracle PUBLIC schedcheck_sim schedcheck_model PRIVATE schedcheck_warnings)
